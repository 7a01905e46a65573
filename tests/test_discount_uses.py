"""Uses of discount codes (`checkout.discount_uses`) against the real database: limits that
hold however many checkouts race, uses given back exactly once, retries that count once."""

import asyncio
from collections import Counter
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.checkout.discount_codes import DiscountCode, DiscountCodes
from shopgraph.checkout.discount_uses import DiscountUses
from shopgraph.checkout.pricing import DiscountKind
from shopgraph.errors import DomainError, ErrorCode
from tests.helpers import discount_services, outcome


@pytest.fixture
def services(db) -> tuple[DiscountCodes, DiscountUses]:
    return discount_services(db)


@pytest.fixture
def codes(services) -> DiscountCodes:
    return services[0]


@pytest.fixture
def uses(services) -> DiscountUses:
    return services[1]


async def new_code(codes: DiscountCodes, **limits: Any) -> DiscountCode:
    given = {"code": f"C{ObjectId()}", "kind": DiscountKind.PERCENTAGE, "value": 10, **limits}
    document = await codes.create(given)
    found = await codes.get(document["_id"])
    assert found is not None
    return found


async def stored_uses(db, code: DiscountCode) -> list[dict[str, Any]]:
    return await db.discount_uses.find({"codeId": str(code.id)}).to_list()


# --- the total limit ---------------------------------------------------------------------


async def test_two_hundred_racing_takes_of_a_code_limited_to_ten_count_ten(db, codes, uses):
    code = await new_code(codes, usage_limit=10)
    orders = [ObjectId() for _ in range(200)]

    outcomes = await asyncio.gather(
        *(outcome(uses.take(code, order, f"user:{index}")) for index, order in enumerate(orders))
    )

    assert Counter(outcomes) == {"taken": 10, "DISCOUNT_CODE_EXHAUSTED": 190}
    stored = await stored_uses(db, code)
    assert len(stored) == 10
    assert sorted(use["slot"] for use in stored) == list(range(10))
    winners = {order for order, result in zip(orders, outcomes, strict=True) if result == "taken"}
    assert {use["_id"] for use in stored} == winners
    assert await codes.times_used([code.id]) == {code.id: 10}


async def test_a_used_up_code_says_so(codes, uses):
    code = await new_code(codes, usage_limit=1)
    await uses.take(code, ObjectId(), "user:a")

    with pytest.raises(DomainError) as refused:
        await uses.take(code, ObjectId(), "user:b")

    assert refused.value.code is ErrorCode.DISCOUNT_CODE_EXHAUSTED
    assert refused.value.problems[0].message == (
        f"The discount code {code.code} has been used as often as it may be."
    )


async def test_an_unlimited_code_counts_every_racing_use(db, codes, uses):
    code = await new_code(codes)

    outcomes = await asyncio.gather(
        *(outcome(uses.take(code, ObjectId(), "user:same")) for _ in range(50))
    )

    assert outcomes == ["taken"] * 50
    assert len(await stored_uses(db, code)) == 50
    assert await uses.used_by(code.id, "user:same") == 50


async def test_uses_that_hold_no_slot_still_count_against_the_limit(db, codes, uses):
    """Uses a checkout took under an older, higher limit while an admin lowered it hold a
    slot at or above the new limit, or none: the code is still used up by their number."""
    code = await new_code(codes, usage_limit=3)
    await db.discount_uses.insert_many(
        [
            {"_id": ObjectId(), "codeId": str(code.id), "customer": "user:a", "slot": 7},
            {"_id": ObjectId(), "codeId": str(code.id), "customer": "user:a", "slot": 8},
            {"_id": ObjectId(), "codeId": str(code.id), "customer": "user:a"},
        ]
    )

    assert await outcome(uses.take(code, ObjectId(), "user:b")) == "DISCOUNT_CODE_EXHAUSTED"


# --- the per-customer limit --------------------------------------------------------------


async def test_one_customer_racing_takes_gets_exactly_their_limit(db, codes, uses):
    code = await new_code(codes, usage_per_customer=2)

    mine = await asyncio.gather(
        *(outcome(uses.take(code, ObjectId(), "email:ann@shop.test")) for _ in range(30))
    )
    others = await asyncio.gather(
        *(outcome(uses.take(code, ObjectId(), "email:bob@shop.test")) for _ in range(3))
    )

    assert Counter(mine) == {"taken": 2, "DISCOUNT_CODE_EXHAUSTED": 28}
    assert Counter(others) == {"taken": 2, "DISCOUNT_CODE_EXHAUSTED": 1}
    assert await uses.used_by(code.id, "email:ann@shop.test") == 2
    assert len(await stored_uses(db, code)) == 4


async def test_both_limits_hold_when_customers_race_each_other(db, codes, uses):
    code = await new_code(codes, usage_limit=5, usage_per_customer=2)
    customers = [f"user:{n}" for n in range(4) for _ in range(15)]

    outcomes = await asyncio.gather(
        *(outcome(uses.take(code, ObjectId(), customer)) for customer in customers)
    )

    stored = await stored_uses(db, code)
    assert Counter(outcomes)["taken"] == 5 == len(stored)
    assert max(Counter(use["customer"] for use in stored).values()) == 2


async def test_the_customer_limit_message_names_the_limit(codes, uses):
    code = await new_code(codes, usage_per_customer=1)
    await uses.take(code, ObjectId(), "user:a")

    with pytest.raises(DomainError) as refused:
        await uses.take(code, ObjectId(), "user:a")

    assert refused.value.code is ErrorCode.DISCOUNT_CODE_EXHAUSTED
    assert "once per customer" in refused.value.problems[0].message


# --- giving back -------------------------------------------------------------------------


async def test_a_use_given_back_twice_at_once_frees_exactly_one_slot(db, codes, uses):
    code = await new_code(codes, usage_limit=2)
    first, second = ObjectId(), ObjectId()
    await uses.take(code, first, "user:a")
    await uses.take(code, second, "user:b")

    gave = await asyncio.gather(uses.give_back(first), uses.give_back(first))
    later = await asyncio.gather(
        *(outcome(uses.take(code, ObjectId(), f"user:{n}")) for n in range(5))
    )

    assert sorted(gave) == [False, True]
    assert Counter(later) == {"taken": 1, "DISCOUNT_CODE_EXHAUSTED": 4}
    assert len(await stored_uses(db, code)) == 2


async def test_many_give_backs_of_one_order_give_one_use_back(db, codes, uses):
    code = await new_code(codes, usage_limit=3)
    orders = [ObjectId() for _ in range(3)]
    for order in orders:
        await uses.take(code, order, "user:a")

    gave = await asyncio.gather(*(uses.give_back(orders[0]) for _ in range(20)))

    assert gave.count(True) == 1
    assert await codes.times_used([code.id]) == {code.id: 2}


async def test_giving_back_an_order_without_a_use_changes_nothing(db, codes, uses):
    code = await new_code(codes, usage_limit=1)
    await uses.take(code, ObjectId(), "user:a")

    assert await uses.give_back(ObjectId()) is False
    assert len(await stored_uses(db, code)) == 1


# --- retries -----------------------------------------------------------------------------


async def test_taking_twice_for_one_order_is_one_use(db, codes, uses):
    code = await new_code(codes, usage_limit=5, usage_per_customer=5)
    order = ObjectId()

    await uses.take(code, order, "user:a")
    await uses.take(code, order, "user:a")
    await asyncio.gather(*(uses.take(code, order, "user:a") for _ in range(10)))

    assert [use["_id"] for use in await stored_uses(db, code)] == [order]
    assert await uses.used_by(code.id, "user:a") == 1


async def test_a_retried_take_succeeds_even_once_the_code_is_used_up(codes, uses):
    code = await new_code(codes, usage_limit=1)
    order = ObjectId()
    await uses.take(code, order, "user:a")

    await uses.take(code, order, "user:a")  # the checkout retried: no refusal

    assert await codes.times_used([code.id]) == {code.id: 1}


async def test_an_order_cannot_use_two_codes(codes, uses):
    first, second = await new_code(codes), await new_code(codes)
    order = ObjectId()
    await uses.take(first, order, "user:a")

    with pytest.raises(ValueError, match="another discount code"):
        await uses.take(second, order, "user:a")


# --- counting ----------------------------------------------------------------------------


async def test_times_used_counts_many_codes_in_one_query(codes, uses):
    used, unused = await new_code(codes), await new_code(codes)
    for _ in range(3):
        await uses.take(used, ObjectId(), "user:a")

    assert await uses.times_used([used.id, unused.id]) == {used.id: 3, unused.id: 0}
    assert await uses.times_used([]) == {}
