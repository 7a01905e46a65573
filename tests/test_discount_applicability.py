"""What a cart learns of a code (`checkout.discount_codes`): finding what a shopper typed,
whether the code applies now and to these goods, and what it takes off."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.checkout.discount_codes import DiscountCode, DiscountCodes, why_not_applicable
from shopgraph.checkout.pricing import Discount, DiscountKind, PricedLine, cart_cost
from tests.helpers import discount_services

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def codes(db) -> DiscountCodes:
    return discount_services(db)[0]


def a_code(**overrides: Any) -> DiscountCode:
    fields: dict[str, Any] = {
        "id": ObjectId(),
        "code": "TEN",
        "kind": DiscountKind.PERCENTAGE,
        "value": Decimal("10.00"),
        "min_subtotal": None,
        "starts_at": None,
        "ends_at": None,
        "usage_limit": None,
        "usage_per_customer": None,
        "active": True,
    }
    return DiscountCode(**{**fields, **overrides})


# --- finding -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Ten", "TEN", "ten", "  tEn\t", "\nTEN "])
async def test_a_code_is_found_whatever_its_case_and_spaces(codes, typed):
    created = await codes.create({"code": "Ten", "kind": DiscountKind.PERCENTAGE, "value": 10})

    found = await codes.find(typed)

    assert found is not None
    assert (found.id, found.code, found.value) == (created["_id"], "Ten", Decimal("10.00"))


LOOK_ALIKE = "\u0422\u0415N"  # Cyrillic Te and Ie, then a Latin N


@pytest.mark.parametrize("typed", ["", "TE N", "TENN", "T" * 5000, "TEN;", LOOK_ALIKE])
async def test_what_no_code_can_be_finds_nothing(codes, typed):
    await codes.create({"code": "TEN", "kind": DiscountKind.PERCENTAGE, "value": 10})

    assert await codes.find(typed) is None


async def test_codes_are_read_with_their_terms(codes):
    fixed = await codes.create(
        {
            "code": "FIVE",
            "kind": DiscountKind.FIXED_AMOUNT,
            "value": Decimal("5"),
            "min_subtotal": Decimal("20"),
            "starts_at": datetime(2026, 1, 1, 10, 30),  # no zone: UTC
            "usage_limit": 3,
            "active": False,
        }
    )
    free = await codes.create({"code": "SHIP", "kind": DiscountKind.FREE_SHIPPING})

    found = await codes.get_many([fixed["_id"], free["_id"], ObjectId()])

    assert found[fixed["_id"]] == a_code(
        id=fixed["_id"],
        code="FIVE",
        kind=DiscountKind.FIXED_AMOUNT,
        value=Decimal("5.00"),
        min_subtotal=2000,
        starts_at=datetime(2026, 1, 1, 10, 30, tzinfo=UTC),
        usage_limit=3,
        active=False,
    )
    assert found[free["_id"]].terms("USD") == Discount(DiscountKind.FREE_SHIPPING)
    assert len(found) == 2
    assert await codes.get(ObjectId()) is None


def test_terms_are_what_pricing_takes_off():
    percent = a_code().terms("USD")
    fixed = a_code(kind=DiscountKind.FIXED_AMOUNT, value=Decimal("4.50")).terms("USD")
    yen = a_code(kind=DiscountKind.FIXED_AMOUNT, value=Decimal("500")).terms("JPY")

    assert percent == Discount(DiscountKind.PERCENTAGE, percent=Decimal("10.00"))
    assert fixed == Discount(DiscountKind.FIXED_AMOUNT, amount=450)
    assert yen == Discount(DiscountKind.FIXED_AMOUNT, amount=500)
    cost = cart_cost([PricedLine(1999, 2), PricedLine(500, 1)], None, percent, None, False, "USD")
    assert cost.discount == 450


# --- whether it applies ------------------------------------------------------------------


def test_an_active_code_within_its_dates_and_minimum_applies():
    code = a_code(
        starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1), min_subtotal=4000
    )

    assert why_not_applicable(code, 4000, NOW, "USD") is None


@pytest.mark.parametrize(
    ("overrides", "subtotal", "reason"),
    [
        ({"active": False}, 5000, "The discount code TEN is not available."),
        (
            {"starts_at": NOW + timedelta(seconds=1)},
            5000,
            "The discount code TEN can be used from 2026-06-01 12:00 UTC.",
        ),
        (
            {"ends_at": NOW},
            5000,
            "The discount code TEN expired on 2026-06-01 12:00 UTC.",
        ),
        (
            {"min_subtotal": 5000},
            4999,
            "The discount code TEN needs a subtotal of at least 50.00 USD; this cart's is "
            "49.99 USD.",
        ),
    ],
)
def test_why_a_code_does_not_apply_reads_as_a_sentence(overrides, subtotal, reason):
    assert why_not_applicable(a_code(**overrides), subtotal, NOW, "USD") == reason


def test_the_minimum_names_amounts_in_the_store_currency():
    reason = why_not_applicable(a_code(min_subtotal=5000), 120, NOW, "JPY")

    assert reason == (
        "The discount code TEN needs a subtotal of at least 5000 JPY; this cart's is 120 JPY."
    )
