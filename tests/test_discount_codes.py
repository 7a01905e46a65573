"""Admins manage discount codes through the API: create, change, list, refetch, delete;
clear userErrors for bad input; codes unique whatever the case; limits that cannot drop
below the uses taken; admins only."""

import asyncio
from datetime import datetime
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.errors import DomainError
from tests.factories import global_id, object_id_of
from tests.helpers import discount_services, outcome

FIELDS = """id code kind value minSubtotal { amount currency } startsAt endsAt usageLimit
usagePerCustomer timesUsed active"""
CREATE = f"""mutation Create($input: DiscountCodeInput!) {{
  createDiscountCode(input: $input) {{
    discountCode {{ {FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
UPDATE = f"""mutation Update($id: ID!, $input: DiscountCodeInput!) {{
  updateDiscountCode(id: $id, input: $input) {{
    discountCode {{ {FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
DELETE = """mutation Delete($id: ID!) {
  deleteDiscountCode(id: $id) { deletedId userErrors { field message code } }
}"""
LIST = """query Codes($first: Int, $after: String) {
  discountCodes(first: $first, after: $after) {
    totalCount edges { node { code timesUsed } } pageInfo { hasNextPage endCursor }
  }
}"""
NODE = """query Node($id: ID!) { node(id: $id) { ... on DiscountCode { code kind } } }"""


async def create(as_admin, **input: Any) -> dict[str, Any]:
    payload = (await as_admin(CREATE, {"input": input}))["createDiscountCode"]
    assert payload["userErrors"] == [], payload
    return payload["discountCode"]


async def refused_create(as_admin, **input: Any) -> list[dict[str, Any]]:
    payload = (await as_admin(CREATE, {"input": input}))["createDiscountCode"]
    assert payload["discountCode"] is None, payload
    return payload["userErrors"]


async def update(as_admin, target: dict[str, Any], **input: Any) -> dict[str, Any]:
    return (await as_admin(UPDATE, {"id": target["id"], "input": input}))["updateDiscountCode"]


async def use(db, code: dict[str, Any], times: int, customer: str = "user:a") -> None:
    """Checkouts used the code `times` times."""
    codes, uses = discount_services(db)
    found = await codes.get(object_id_of(code["id"]))
    for _ in range(times):
        await uses.take(found, ObjectId(), customer)


# --- creating ----------------------------------------------------------------------------


async def test_an_admin_creates_a_percentage_code(db, as_admin):
    code = await create(
        as_admin,
        code="Ten",
        kind="PERCENTAGE",
        value="10",
        minSubtotal="25.00",
        startsAt="2026-01-01T00:00:00Z",
        endsAt="2026-02-01T00:00:00+01:00",
        usageLimit=10,
        usagePerCustomer=1,
    )

    assert code == {
        "id": code["id"],
        "code": "Ten",
        "kind": "PERCENTAGE",
        "value": "10.00",
        "minSubtotal": {"amount": "25.00", "currency": "USD"},
        "startsAt": "2026-01-01T00:00:00+00:00",
        "endsAt": "2026-01-31T23:00:00+00:00",
        "usageLimit": 10,
        "usagePerCustomer": 1,
        "timesUsed": 0,
        "active": True,
    }
    stored = await db.discount_codes.find_one({"_id": object_id_of(code["id"])})
    assert stored["codeKey"] == "TEN"
    assert (stored["kind"], stored["value"], stored["minSubtotal"]) == ("PERCENTAGE", 1000, 2500)


async def test_fixed_amount_and_free_shipping_codes(as_admin):
    fixed = await create(as_admin, code="FIVE-OFF", kind="FIXED_AMOUNT", value=5)
    free = await create(as_admin, code="ship_free", kind="FREE_SHIPPING")
    free_zero = await create(as_admin, code="ship0", kind="FREE_SHIPPING", value="0")

    assert (fixed["kind"], fixed["value"], fixed["usageLimit"]) == ("FIXED_AMOUNT", "5.00", None)
    assert (free["value"], free["minSubtotal"], free["endsAt"]) == ("0", None, None)
    assert free_zero["value"] == "0"


async def test_codes_are_unique_whatever_their_case(db, as_admin):
    await create(as_admin, code="TEN", kind="PERCENTAGE", value="10")

    errors = await refused_create(as_admin, code=" ten ", kind="PERCENTAGE", value="20")

    assert errors == [
        {
            "field": ["input", "code"],
            "message": "The code ten exists already.",
            "code": "ALREADY_EXISTS",
        }
    ]
    assert await db.discount_codes.count_documents({}) == 1


async def test_racing_creates_of_one_code_make_one(db, gql, admin):
    spellings = ["spring", "SPRING", "Spring", "sPrInG"] * 5

    bodies = await asyncio.gather(
        *(
            gql(
                CREATE,
                {"input": {"code": s, "kind": "PERCENTAGE", "value": 5}},
                headers=admin.headers,
            )
            for s in spellings
        )
    )

    made = [b for b in bodies if b["data"]["createDiscountCode"]["discountCode"] is not None]
    assert len(made) == 1
    assert await db.discount_codes.count_documents({}) == 1


@pytest.mark.parametrize(
    ("input", "field", "message"),
    [
        ({"code": "", "kind": "PERCENTAGE", "value": 1}, "code", "Use 1 to 50 letters"),
        ({"code": "A" * 51, "kind": "PERCENTAGE", "value": 1}, "code", "Use 1 to 50 letters"),
        ({"code": "TEN OFF", "kind": "PERCENTAGE", "value": 1}, "code", "Use 1 to 50 letters"),
        ({"code": "DIX€", "kind": "PERCENTAGE", "value": 1}, "code", "Use 1 to 50 letters"),
        ({"kind": "PERCENTAGE", "value": 1}, "code", "Give the code's code"),
        ({"code": "A", "value": 1}, "kind", "Give the code's kind"),
        ({"code": "A", "kind": "PERCENTAGE"}, "value", "Give the value of a PERCENTAGE"),
        ({"code": "A", "kind": "PERCENTAGE", "value": "0"}, "value", "above 0 and at most 100"),
        ({"code": "A", "kind": "PERCENTAGE", "value": "100.5"}, "value", "at most 100"),
        ({"code": "A", "kind": "PERCENTAGE", "value": "12.345"}, "value", "at most 2 decimals"),
        ({"code": "A", "kind": "FIXED_AMOUNT", "value": "-1"}, "value", "must not be negative"),
        ({"code": "A", "kind": "FIXED_AMOUNT", "value": "0"}, "value", "must be above 0"),
        ({"code": "A", "kind": "FIXED_AMOUNT", "value": "1.005"}, "value", "more than 2 decimals"),
        ({"code": "A", "kind": "FIXED_AMOUNT", "value": "1e30"}, "value", "is too large"),
        ({"code": "A", "kind": "FREE_SHIPPING", "value": "5"}, "value", "takes no value"),
        (
            {"code": "A", "kind": "FREE_SHIPPING", "minSubtotal": "0.001"},
            "minSubtotal",
            "more than 2 decimals",
        ),
        (
            {
                "code": "A",
                "kind": "FREE_SHIPPING",
                "startsAt": "2026-03-01T00:00:00Z",
                "endsAt": "2026-03-01T00:00:00Z",
            },
            "endsAt",
            "end after it starts",
        ),
        ({"code": "A", "kind": "FREE_SHIPPING", "usageLimit": 0}, "usageLimit", "from 1 to"),
        ({"code": "A", "kind": "FREE_SHIPPING", "usageLimit": 100_001}, "usageLimit", "100000"),
        ({"code": "A", "kind": "FREE_SHIPPING", "usagePerCustomer": -1}, "usagePerCustomer", "1"),
        ({"code": "A", "kind": "FREE_SHIPPING", "active": None}, "active", "cannot be null"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(db, as_admin, input, field, message):
    errors = await refused_create(as_admin, **input)

    assert [error["field"] for error in errors] == [["input", field]], errors
    assert message in errors[0]["message"]
    assert errors[0]["code"] == "INVALID"
    assert await db.discount_codes.count_documents({}) == 0


async def test_every_problem_is_reported_at_once(as_admin):
    errors = await refused_create(
        as_admin, code="no spaces", kind="PERCENTAGE", value="101", usageLimit=0
    )

    assert [error["field"] for error in errors] == [
        ["input", "code"],
        ["input", "value"],
        ["input", "usageLimit"],
    ]


# --- changing ----------------------------------------------------------------------------


async def test_an_update_changes_only_what_it_names(as_admin):
    code = await create(
        as_admin, code="TEN", kind="PERCENTAGE", value="10", endsAt="2027-01-01T00:00:00Z"
    )

    payload = await update(as_admin, code, value="12.5", endsAt=None, active=False)

    assert payload["userErrors"] == []
    changed = payload["discountCode"]
    assert (changed["code"], changed["kind"], changed["value"]) == ("TEN", "PERCENTAGE", "12.50")
    assert (changed["endsAt"], changed["active"]) == (None, False)


async def test_dates_set_by_an_update_are_stored_as_dates(db, as_admin):
    code = await create(as_admin, code="TEN", kind="FREE_SHIPPING")

    changed = await as_admin(
        """mutation($id: ID!) { updateDiscountCode(id: $id, input: {
             startsAt: "2026-05-01T08:00:00Z", endsAt: "2026-06-01T00:00:00.250+02:00"}) {
           discountCode { startsAt endsAt } userErrors { message } } }""",
        {"id": code["id"]},
    )

    assert changed["updateDiscountCode"] == {
        "discountCode": {
            "startsAt": "2026-05-01T08:00:00+00:00",
            "endsAt": "2026-05-31T22:00:00.250000+00:00",
        },
        "userErrors": [],
    }
    stored = await db.discount_codes.find_one({"_id": object_id_of(code["id"])})
    assert all(isinstance(stored[f], datetime) for f in ("startsAt", "endsAt", "updatedAt"))
    assert stored["version"] == 2


async def test_racing_updates_are_checked_together(db, gql, admin, as_admin):
    """Each alone is fine; together the code would end before it starts. Each update is
    written only onto the code it checked, so one of each pair is refused."""
    made = [await create(as_admin, code=f"C{n}", kind="FREE_SHIPPING") for n in range(10)]

    def change(code: dict[str, Any], **input: Any) -> Any:
        return gql(UPDATE, {"id": code["id"], "input": input}, headers=admin.headers)

    bodies = await asyncio.gather(
        *(
            change(code, startsAt="2026-06-01T00:00:00Z")
            if n % 2 == 0
            else change(code, endsAt="2026-05-01T00:00:00Z")
            for code in made
            for n in range(2)
        )
    )

    refused = [b for b in bodies if b["data"]["updateDiscountCode"]["userErrors"]]
    assert len(refused) == 10
    for stored in await db.discount_codes.find().to_list():
        assert ("startsAt" in stored) != ("endsAt" in stored), stored


async def test_a_new_kind_needs_its_value_unless_it_is_free_shipping(as_admin):
    code = await create(as_admin, code="TEN", kind="PERCENTAGE", value="10")

    refused = await update(as_admin, code, kind="FIXED_AMOUNT")
    fixed = await update(as_admin, code, kind="FIXED_AMOUNT", value="3.50")
    free = await update(as_admin, code, kind="FREE_SHIPPING")

    assert refused["userErrors"] == [
        {
            "field": ["input", "value"],
            "message": "Give the value of a FIXED_AMOUNT code.",
            "code": "INVALID",
        }
    ]
    assert fixed["discountCode"]["value"] == "3.50"
    assert (free["discountCode"]["kind"], free["discountCode"]["value"]) == ("FREE_SHIPPING", "0")


async def test_dates_are_checked_against_the_stored_ones(as_admin):
    code = await create(as_admin, code="TEN", kind="FREE_SHIPPING", endsAt="2026-03-01T00:00:00Z")

    payload = await update(as_admin, code, startsAt="2026-04-01T00:00:00Z")

    assert [e["field"] for e in payload["userErrors"]] == [["input", "endsAt"]]


async def test_renaming_to_another_codes_name_is_refused(as_admin):
    await create(as_admin, code="TEN", kind="PERCENTAGE", value="10")
    other = await create(as_admin, code="TWENTY", kind="PERCENTAGE", value="20")

    payload = await update(as_admin, other, code="ten")

    assert payload["userErrors"][0]["code"] == "ALREADY_EXISTS"


async def test_updating_a_missing_code_or_a_bad_id(as_admin):
    missing = {"id": global_id("DiscountCode", ObjectId())}

    gone = await update(as_admin, missing, active=False)
    bad = await update(as_admin, {"id": global_id("Product", ObjectId())}, active=False)

    assert gone["userErrors"][0]["code"] == "NOT_FOUND"
    assert bad["userErrors"][0]["field"] == ["id"]


# --- limits and the uses taken -----------------------------------------------------------


async def test_a_usage_limit_below_the_uses_taken_is_refused(db, as_admin):
    code = await create(as_admin, code="TEN", kind="PERCENTAGE", value="10", usageLimit=10)
    await use(db, code, 4)

    payload = await update(as_admin, code, usageLimit=3)

    assert payload["userErrors"] == [
        {
            "field": ["input", "usageLimit"],
            "message": "The code was used 4 times already: the limit cannot be lower.",
            "code": "INVALID",
        }
    ]
    stored = await db.discount_codes.find_one({"_id": object_id_of(code["id"])})
    assert stored["usageLimit"] == 10


async def test_a_lower_limit_holds_for_later_checkouts_even_after_gaps(db, as_admin):
    """Uses given back leave gaps; lowering the limit moves the remaining uses into slots
    below it, so the new limit counts them all."""
    code = await create(as_admin, code="TEN", kind="PERCENTAGE", value="10", usageLimit=10)
    codes, uses = discount_services(db)
    found = await codes.get(object_id_of(code["id"]))
    orders = [ObjectId() for _ in range(8)]
    for order in orders:
        await uses.take(found, order, "user:a")
    for order in orders[:5]:
        await uses.give_back(order)  # slots 5, 6 and 7 remain

    payload = await update(as_admin, code, usageLimit=4)
    lowered = await codes.get(found.id)
    outcomes = [await outcome(uses.take(lowered, ObjectId(), "user:b")) for _ in range(3)]

    assert payload["discountCode"]["usageLimit"] == 4
    assert outcomes == ["taken", "DISCOUNT_CODE_EXHAUSTED", "DISCOUNT_CODE_EXHAUSTED"]
    slots = sorted(u["slot"] for u in await db.discount_uses.find().to_list())
    assert slots == [0, 1, 2, 3]


async def test_a_limit_set_on_an_unlimited_code_counts_its_uses(db, as_admin):
    code = await create(as_admin, code="TEN", kind="PERCENTAGE", value="10")
    await use(db, code, 3, customer="user:a")
    await use(db, code, 2, customer="user:b")

    too_low = await update(as_admin, code, usageLimit=4)
    per_customer_too_low = await update(as_admin, code, usagePerCustomer=2)
    fits = await update(as_admin, code, usageLimit=6, usagePerCustomer=3)
    await use(db, code, 1, customer="user:c")

    assert too_low["userErrors"][0]["field"] == ["input", "usageLimit"]
    assert per_customer_too_low["userErrors"] == [
        {
            "field": ["input", "usagePerCustomer"],
            "message": "A customer used the code 3 times already: the limit per customer "
            "cannot be lower.",
            "code": "INVALID",
        }
    ]
    assert fits["userErrors"] == []
    stored = await db.discount_uses.find().to_list()
    assert sorted(u["slot"] for u in stored) == [0, 1, 2, 3, 4, 5]
    assert sorted(u["customerSlot"] for u in stored if u["customer"] == "user:a") == [0, 1, 2]
    with pytest.raises(DomainError, match="used as often as it may be"):
        await use(db, code, 1, customer="user:d")
    await update(as_admin, code, usageLimit=100)
    with pytest.raises(DomainError, match="3 times per customer"):
        await use(db, code, 1, customer="user:a")


async def test_raising_or_removing_a_limit_is_always_allowed(db, as_admin):
    code = await create(as_admin, code="TEN", kind="PERCENTAGE", value="10", usageLimit=2)
    await use(db, code, 2)

    raised = await update(as_admin, code, usageLimit=5)
    removed = await update(as_admin, code, usageLimit=None)

    assert raised["discountCode"]["usageLimit"] == 5
    assert removed["discountCode"]["usageLimit"] is None
    assert removed["discountCode"]["timesUsed"] == 2


# --- deleting ----------------------------------------------------------------------------


async def test_an_admin_deletes_a_code(db, as_admin):
    code = await create(as_admin, code="TEN", kind="PERCENTAGE", value="10")

    deleted = (await as_admin(DELETE, {"id": code["id"]}))["deleteDiscountCode"]
    again = (await as_admin(DELETE, {"id": code["id"]}))["deleteDiscountCode"]

    assert deleted == {"deletedId": code["id"], "userErrors": []}
    assert again["userErrors"][0]["code"] == "NOT_FOUND"
    assert await db.discount_codes.count_documents({}) == 0


# --- reading -----------------------------------------------------------------------------


async def test_the_listing_pages_newest_first_with_uses_counted_in_one_query(
    db, as_admin, command_log
):
    made = [await create(as_admin, code=f"CODE{n}", kind="FREE_SHIPPING") for n in range(5)]
    await use(db, made[3], 2)
    await use(db, made[4], 1)

    command_log.clear()
    first = (await as_admin(LIST, {"first": 3}))["discountCodes"]
    aggregates = command_log.named("aggregate", "discount_uses")
    after = first["pageInfo"]["endCursor"]
    second = (await as_admin(LIST, {"first": 3, "after": after}))["discountCodes"]

    assert first["totalCount"] == 5
    assert [e["node"] for e in first["edges"]] == [
        {"code": "CODE4", "timesUsed": 1},
        {"code": "CODE3", "timesUsed": 2},
        {"code": "CODE2", "timesUsed": 0},
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    assert len(aggregates) == 1
    assert [e["node"]["code"] for e in second["edges"]] == ["CODE1", "CODE0"]
    assert second["pageInfo"]["hasNextPage"] is False


async def test_an_admin_refetches_a_code_by_its_id(as_admin):
    code = await create(as_admin, code="TEN", kind="PERCENTAGE", value="10")

    found = await as_admin(NODE, {"id": code["id"]})

    assert found == {"node": {"code": "TEN", "kind": "PERCENTAGE"}}


# --- admins only -------------------------------------------------------------------------


async def test_customers_and_guests_cannot_see_or_change_codes(db, gql, as_admin, customer):
    code = await create(as_admin, code="TEN", kind="PERCENTAGE", value="10")
    new = {"input": {"code": "MINE", "kind": "PERCENTAGE", "value": 100}}

    as_customer = [
        await gql(LIST, headers=customer.headers),
        await gql(CREATE, new, headers=customer.headers),
        await gql(UPDATE, {"id": code["id"], "input": {"value": 100}}, headers=customer.headers),
        await gql(DELETE, {"id": code["id"]}, headers=customer.headers),
    ]
    as_guest = await gql(CREATE, new)
    node = await gql(NODE, {"id": code["id"]}, headers=customer.headers)

    for body in as_customer:
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
    assert [e["extensions"]["code"] for e in as_guest["errors"]] == ["UNAUTHENTICATED"]
    assert node == {"data": {"node": None}}
    stored = await db.discount_codes.find().to_list()
    assert [(c["code"], c["value"]) for c in stored] == [("TEN", 1000)]
