"""What a cart costs (`checkout.pricing`): the issue's table to the cent, tax-inclusive
prices, each kind of discount, currencies with 0 and 3 decimals, and totals that add up
exactly over thousands of generated carts."""

import random
from decimal import Decimal

import pytest

from shopgraph.checkout.pricing import (
    CartCost,
    Discount,
    DiscountKind,
    PricedLine,
    ShippingCharge,
    allocate,
    cart_cost,
)

TEN_PERCENT = Discount(DiscountKind.PERCENTAGE, percent=Decimal("10"))
FREE_SHIPPING = Discount(DiscountKind.FREE_SHIPPING)
TABLE_LINES = [PricedLine(1999, 2), PricedLine(500, 1)]
TABLE_SHIPPING = ShippingCharge(490)
RATE = Decimal("8.25")


def summary(cost: CartCost) -> tuple[int, int, int, int, int]:
    return cost.subtotal, cost.discount, cost.shipping, cost.tax, cost.total


# --- the issue's table -------------------------------------------------------------------


def test_the_issue_table_comes_out_to_the_cent():
    cost = cart_cost(TABLE_LINES, TABLE_SHIPPING, TEN_PERCENT, RATE, False, "USD")

    assert summary(cost) == (4498, 450, 490, 374, 4912)
    assert cost.line_totals == (3998, 500)
    assert cost.line_discounts == (400, 50)  # 10 % of 44.98 is 4.498: 4.50, shared 4.00 + 0.50
    assert cost.line_taxes == (297, 37)  # 8.25 % of 35.98 = 2.968..., of 4.50 = 0.371...
    assert cost.shipping_tax == 40  # 8.25 % of 4.90 = 0.404...
    assert cost.shipping_discount == 0
    assert cost.tax_included is False
    assert cost.currency == "USD"


def test_the_same_cart_with_prices_that_include_tax():
    cost = cart_cost(TABLE_LINES, TABLE_SHIPPING, TEN_PERCENT, RATE, True, "USD")

    # The tax inside 35.98 is 35.98 x 8.25 / 108.25 = 2.742..., inside 4.50 0.342...,
    # inside 4.90 0.373...; the total does not add it.
    assert summary(cost) == (4498, 450, 490, 345, 4538)
    assert cost.line_taxes == (274, 34)
    assert cost.shipping_tax == 37
    assert cost.tax_included is True


def test_without_a_discount_or_a_rate_the_total_is_goods_and_shipping():
    cost = cart_cost(TABLE_LINES, TABLE_SHIPPING, None, None, False, "USD")

    assert summary(cost) == (4498, 0, 490, 0, 4988)
    assert cost.line_taxes == (0, 0)


def test_without_shipping_there_is_nothing_to_ship_or_tax_beyond_goods():
    cost = cart_cost(TABLE_LINES, None, TEN_PERCENT, RATE, False, "USD")

    assert summary(cost) == (4498, 450, 0, 334, 4382)
    assert cost.shipping_tax == 0


# --- discounts ---------------------------------------------------------------------------


def test_a_fixed_amount_larger_than_the_goods_takes_the_goods_and_not_the_shipping():
    lines = [PricedLine(1000, 1), PricedLine(500, 2)]
    fifty = Discount(DiscountKind.FIXED_AMOUNT, amount=5000)

    cost = cart_cost(lines, TABLE_SHIPPING, fifty, RATE, False, "USD")

    assert summary(cost) == (2000, 2000, 490, 40, 530)
    assert cost.line_discounts == (1000, 1000)
    assert cost.line_taxes == (0, 0)


def test_a_fixed_amount_is_shared_in_proportion_to_the_lines():
    lines = [PricedLine(1999, 2), PricedLine(500, 1)]
    five = Discount(DiscountKind.FIXED_AMOUNT, amount=500)

    cost = cart_cost(lines, None, five, None, False, "USD")

    # 5.00 x 39.98 / 44.98 = 4.444..., 5.00 x 5.00 / 44.98 = 0.555...: 4.44 and 0.56
    assert cost.line_discounts == (444, 56)
    assert cost.discount == 500 and cost.total == 3998


def test_free_shipping_shows_the_shipping_and_takes_it_off_as_the_discount():
    cost = cart_cost(TABLE_LINES, TABLE_SHIPPING, FREE_SHIPPING, RATE, False, "USD")

    # Goods taxed in full (3.298... -> 3.30, 0.4125 -> 0.41); shipping untaxed once free.
    assert summary(cost) == (4498, 490, 490, 371, 4869)
    assert cost.shipping_discount == 490
    assert cost.line_discounts == (0, 0)
    assert cost.line_taxes == (330, 41)
    assert cost.shipping_tax == 0


def test_free_shipping_on_shipping_that_is_free_anyway_is_worth_nothing():
    shipping = ShippingCharge(490, free_over_subtotal=4000)

    cost = cart_cost(TABLE_LINES, shipping, FREE_SHIPPING, None, False, "USD")

    assert summary(cost) == (4498, 0, 0, 0, 4498)


def test_free_over_a_subtotal_compares_with_the_goods_after_the_discount():
    lines = [PricedLine(5000, 1)]
    shipping = ShippingCharge(490, free_over_subtotal=4800)

    undiscounted = cart_cost(lines, shipping, None, None, False, "USD")
    discounted = cart_cost(lines, shipping, TEN_PERCENT, None, False, "USD")
    reached = cart_cost(lines, ShippingCharge(490, 4500), TEN_PERCENT, None, False, "USD")

    assert undiscounted.shipping == 0
    assert summary(discounted) == (5000, 500, 490, 0, 4990)  # 45.00 is below 48.00
    assert reached.shipping == 0  # 45.00 reaches 45.00


def test_a_hundred_percent_takes_all_the_goods():
    everything = Discount(DiscountKind.PERCENTAGE, percent=Decimal("100"))

    cost = cart_cost(TABLE_LINES, TABLE_SHIPPING, everything, RATE, False, "USD")

    assert cost.line_discounts == cost.line_totals
    assert summary(cost) == (4498, 4498, 490, 40, 530)


def test_a_percentage_is_rounded_once_on_the_goods():
    # Three lines of 0.05 at 10 %: 0.005 each, 0.015 together -> 0.02 (per line it would
    # be 0.03). The two cents go to the first lines, the ties broken by order.
    lines = [PricedLine(5, 1), PricedLine(5, 1), PricedLine(5, 1)]

    cost = cart_cost(lines, None, TEN_PERCENT, None, False, "USD")

    assert cost.discount == 2
    assert cost.line_discounts == (1, 1, 0)


# --- currencies --------------------------------------------------------------------------


def test_a_currency_without_decimals_rounds_to_whole_yen():
    lines = [PricedLine(1200, 3), PricedLine(980, 1)]
    fifteen = Discount(DiscountKind.PERCENTAGE, percent=Decimal("15"))

    cost = cart_cost(lines, ShippingCharge(500), fifteen, Decimal("8"), False, "JPY")

    # 15 % of 4580 = 687, shared 540 + 147; 8 % of 3060 = 244.8, of 833 = 66.64, of 500 = 40
    assert cost.line_discounts == (540, 147)
    assert cost.line_taxes == (245, 67)
    assert cost.shipping_tax == 40
    assert summary(cost) == (4580, 687, 500, 352, 4745)


def test_a_currency_with_three_decimals_rounds_to_the_fils():
    lines = [PricedLine(1250, 2), PricedLine(3333, 1)]
    one_dinar = Discount(DiscountKind.FIXED_AMOUNT, amount=1000)

    cost = cart_cost(lines, ShippingCharge(2500), one_dinar, Decimal("5"), False, "KWD")

    # 1.000 over 2.500 and 3.333: 0.4286 and 0.5714 -> 0.429 + 0.571
    assert cost.line_discounts == (429, 571)
    # 5 % of 2.071 = 0.10355, of 2.762 = 0.1381, of 2.500 = 0.125
    assert cost.line_taxes == (104, 138)
    assert cost.shipping_tax == 125
    assert summary(cost) == (5833, 1000, 2500, 367, 7700)


def test_a_rate_with_many_decimals_rounds_exactly_at_the_half():
    # 12.5 % of 0.04 is 0.005 exactly: half-up makes it 0.01.
    cost = cart_cost([PricedLine(4, 1)], None, None, Decimal("12.5"), False, "USD")

    assert cost.tax == 1


# --- refused input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "discount", "rate"),
    [
        ([PricedLine(-1, 1)], None, None),
        ([PricedLine(100, -1)], None, None),
        ([PricedLine(100, 1)], Discount(DiscountKind.PERCENTAGE, Decimal("100.01")), None),
        ([PricedLine(100, 1)], Discount(DiscountKind.FIXED_AMOUNT, amount=-5), None),
        ([PricedLine(100, 1)], None, Decimal("-1")),
        ([PricedLine(100, 1)], None, Decimal("NaN")),
    ],
)
def test_impossible_input_is_a_bug_not_a_price(lines, discount, rate):
    with pytest.raises(ValueError):
        cart_cost(lines, None, discount, rate, False, "USD")


# --- totals always add up ----------------------------------------------------------------


def random_discount(rng: random.Random) -> Discount | None:
    kind = rng.choice([None, *DiscountKind])
    if kind is DiscountKind.PERCENTAGE:
        return Discount(kind, percent=Decimal(rng.randint(1, 10_000)).scaleb(-2))
    if kind is DiscountKind.FIXED_AMOUNT:
        return Discount(kind, amount=rng.randint(1, 50_000))
    return None if kind is None else Discount(kind)


def random_cart(rng: random.Random) -> dict:
    lines = [
        PricedLine(rng.choice([0, rng.randint(1, 99), rng.randint(1, 100_000)]), rng.randint(0, 9))
        for _ in range(rng.randint(0, 12))
    ]
    shipping = rng.choice(
        [None, ShippingCharge(rng.randint(0, 3000), rng.choice([None, rng.randint(0, 90_000)]))]
    )
    rate = rng.choice([None, Decimal(rng.randint(0, 3000)).scaleb(-rng.randint(0, 3))])
    return {
        "lines": lines,
        "shipping": shipping,
        "discount": random_discount(rng),
        "tax_rate": rate,
        "prices_include_tax": rng.random() < 0.5,
        "currency": rng.choice(["USD", "JPY", "KWD"]),
    }


def test_the_parts_add_up_over_many_generated_carts():
    rng = random.Random(20261201)
    for _ in range(3000):
        cart = random_cart(rng)
        cost = cart_cost(**cart)

        assert sum(cost.line_totals) == cost.subtotal, cart
        assert sum(cost.line_discounts) + cost.shipping_discount == cost.discount, cart
        assert sum(cost.line_taxes) + cost.shipping_tax == cost.tax, cart
        assert all(
            0 <= part <= total
            for part, total in zip(cost.line_discounts, cost.line_totals, strict=True)
        ), cart
        assert 0 <= cost.shipping_discount <= cost.shipping, cart
        assert cost.discount <= cost.subtotal + cost.shipping, cart
        if cost.tax_included:
            assert cost.total == cost.subtotal + cost.shipping - cost.discount, cart
            assert cost.tax <= cost.total, cart
        else:
            assert cost.total == cost.subtotal + cost.shipping + cost.tax - cost.discount, cart
        assert cost.total >= 0, cart


def test_allocation_adds_up_and_never_exceeds_a_weight():
    rng = random.Random(7)
    for _ in range(3000):
        weights = [rng.randint(0, 10_000) for _ in range(rng.randint(1, 20))]
        total = rng.randint(0, sum(weights))

        parts = allocate(total, weights)

        assert sum(parts) == total
        assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))


def test_allocation_over_nothing_is_nothing():
    assert allocate(0, [0, 0]) == (0, 0)
    assert allocate(0, []) == ()
