"""What a cart costs: goods, discount, shipping and tax, in integer minor units.

Pure arithmetic, in this order (docs/api/pricing.md shows it on a worked cart):

1. Each line costs unit price x quantity; the subtotal is their sum.
2. A PERCENTAGE discount is that percent of the subtotal, rounded half-up once; a
   FIXED_AMOUNT discount is its amount, at most the subtotal. Either is shared out over the
   lines in proportion to their totals by largest remainder, so the lines' parts add up to
   the discount exactly and no line's part exceeds the line.
3. Shipping costs its price, or nothing when `free_over_subtotal` is set and the goods after
   the discount reach it (at or above).
4. A FREE_SHIPPING discount is the shipping charge: shipping still shows its price, and the
   discount includes it, so that `total = subtotal + shipping + tax - discount` holds and an
   order's discount shows what the code saved.
5. Tax is the rate (a percent) of each line after its part of the discount, and of the
   shipping after a free-shipping discount, each rounded half-up to the minor unit on its
   own; the tax is their sum. With `prices_include_tax` the amounts already contain the tax:
   the tax of an amount is amount x rate / (100 + rate), rounded half-up the same way, and
   is not added to the total.

Every rounding is integer arithmetic on exact fractions, so no amount depends on a decimal
context's precision.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum


class DiscountKind(Enum):
    PERCENTAGE = "PERCENTAGE"
    FIXED_AMOUNT = "FIXED_AMOUNT"
    FREE_SHIPPING = "FREE_SHIPPING"


@dataclass(frozen=True, slots=True)
class Discount:
    """What a code takes off: `percent` for PERCENTAGE ("10" is 10 %), `amount` in minor
    units for FIXED_AMOUNT, neither for FREE_SHIPPING."""

    kind: DiscountKind
    percent: Decimal | None = None
    amount: int | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    unit_price: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ShippingCharge:
    """A shipping method's price, free when the discounted goods reach `free_over_subtotal`."""

    price: int
    free_over_subtotal: int | None = None


@dataclass(frozen=True, slots=True)
class CartCost:
    """Everything in minor units of `currency`. `discount` is the goods' part (the sum of
    `line_discounts`) plus `shipping_discount`; `tax` is the sum of `line_taxes` and
    `shipping_tax`. `total` is subtotal + shipping + tax - discount, or, when `tax_included`,
    subtotal + shipping - discount (the tax is inside the prices)."""

    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int
    tax_included: bool
    line_totals: tuple[int, ...]
    line_discounts: tuple[int, ...]
    line_taxes: tuple[int, ...]
    shipping_tax: int
    shipping_discount: int
    currency: str


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves up (both >= 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def allocate(total: int, weights: Sequence[int]) -> tuple[int, ...]:
    """`total` shared out in proportion to `weights` by largest remainder: the parts add up
    to `total`, and with `total` at most the weights' sum no part exceeds its weight. Ties
    go to the earlier weight."""
    whole = sum(weights)
    if whole == 0:
        return tuple(0 for _ in weights)
    parts = [total * weight // whole for weight in weights]
    left = total - sum(parts)
    by_remainder = sorted(
        range(len(weights)), key=lambda index: (-(total * weights[index] % whole), index)
    )
    for index in by_remainder[:left]:
        parts[index] += 1
    return tuple(parts)


def _goods_discount(discount: Discount | None, subtotal: int) -> int:
    if discount is None:
        return 0
    if discount.kind is DiscountKind.PERCENTAGE:
        percent = discount.percent or Decimal(0)
        if not 0 <= percent <= 100:
            raise ValueError(f"a percentage discount must be 0 to 100, not {percent}")
        numerator, denominator = percent.as_integer_ratio()
        return half_up(subtotal * numerator, 100 * denominator)
    if discount.kind is DiscountKind.FIXED_AMOUNT:
        amount = discount.amount or 0
        if amount < 0:
            raise ValueError("a fixed discount must not be negative")
        return min(amount, subtotal)
    return 0


def _shipping_charge(shipping: ShippingCharge | None, discounted_goods: int) -> int:
    if shipping is None:
        return 0
    if shipping.price < 0:
        raise ValueError("a shipping price must not be negative")
    free_over = shipping.free_over_subtotal
    if free_over is not None and discounted_goods >= free_over:
        return 0
    return shipping.price


def _tax_of(amount: int, rate: Decimal | None, included: bool) -> int:
    """The tax on `amount` (added to it), or inside it when `included`."""
    if rate is None or amount == 0:
        return 0
    numerator, denominator = rate.as_integer_ratio()
    if included:
        return half_up(amount * numerator, 100 * denominator + numerator)
    return half_up(amount * numerator, 100 * denominator)


def cart_cost(
    lines: Sequence[PricedLine],
    shipping: ShippingCharge | None,
    discount: Discount | None,
    tax_rate: Decimal | None,
    prices_include_tax: bool,
    currency: str,
) -> CartCost:
    """What the lines cost with this shipping, discount and tax rate (a percent, "8.25";
    None: no tax). Every amount is in minor units of `currency`, so rounding to its minor
    unit is rounding to a whole number whatever its decimals (JPY 0, USD 2, KWD 3).
    Raises ValueError for negative prices, quantities or rates, or a percent above 100."""
    if any(line.unit_price < 0 or line.quantity < 0 for line in lines):
        raise ValueError("prices and quantities must not be negative")
    if tax_rate is not None and not (tax_rate.is_finite() and tax_rate >= 0):
        raise ValueError(f"a tax rate must be a percent of at least 0, not {tax_rate}")
    line_totals = tuple(line.unit_price * line.quantity for line in lines)
    subtotal = sum(line_totals)
    goods_discount = _goods_discount(discount, subtotal)
    line_discounts = allocate(goods_discount, line_totals)
    shipping_price = _shipping_charge(shipping, subtotal - goods_discount)
    free_shipping = discount is not None and discount.kind is DiscountKind.FREE_SHIPPING
    shipping_discount = shipping_price if free_shipping else 0
    line_taxes = tuple(
        _tax_of(total - part, tax_rate, prices_include_tax)
        for total, part in zip(line_totals, line_discounts, strict=True)
    )
    shipping_tax = _tax_of(shipping_price - shipping_discount, tax_rate, prices_include_tax)
    tax = sum(line_taxes) + shipping_tax
    discount_total = goods_discount + shipping_discount
    total = subtotal + shipping_price - discount_total + (0 if prices_include_tax else tax)
    return CartCost(
        subtotal=subtotal,
        discount=discount_total,
        shipping=shipping_price,
        tax=tax,
        total=total,
        tax_included=prices_include_tax,
        line_totals=line_totals,
        line_discounts=line_discounts,
        line_taxes=line_taxes,
        shipping_tax=shipping_tax,
        shipping_discount=shipping_discount,
        currency=currency,
    )
