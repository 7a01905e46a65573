"""A cart as the shopper sees it today: its lines at today's prices and stock, what is
wrong with it, and what it costs. Pure: `checkout.cart_pricing` reads what it needs.

A cart never fails for what changed under it: a line whose product is gone, short of
stock or repriced, a shipping method withdrawn, a code that stopped applying, each is a
`CartProblem`; the blocking ones stop a checkout until the shopper fixes them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bson import ObjectId

from shopgraph.checkout.discount_codes import DiscountCode
from shopgraph.checkout.pricing import CartCost, PricedLine, ShippingCharge, cart_cost
from shopgraph.checkout.shipping_methods import ShippingMethod
from shopgraph.datasources.product_variants import StoredVariant, stored_variant
from shopgraph.datasources.products import is_active
from shopgraph.documents import Document
from shopgraph.errors import ErrorCode
from shopgraph.money import format_amount


class CartProblemCode(StrEnum):
    OUT_OF_STOCK = "OUT_OF_STOCK"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    UNAVAILABLE = "UNAVAILABLE"
    PRICE_CHANGED = "PRICE_CHANGED"
    SHIPPING_METHOD_UNAVAILABLE = "SHIPPING_METHOD_UNAVAILABLE"
    DISCOUNT_NOT_APPLICABLE = "DISCOUNT_NOT_APPLICABLE"


# Problems a checkout cannot go past: the shopper must change the cart first. A changed
# price is only news: the cart, and so the order, always uses today's.
BLOCKING = frozenset(
    {
        CartProblemCode.OUT_OF_STOCK,
        CartProblemCode.INSUFFICIENT_STOCK,
        CartProblemCode.UNAVAILABLE,
        CartProblemCode.SHIPPING_METHOD_UNAVAILABLE,
        CartProblemCode.DISCOUNT_NOT_APPLICABLE,
    }
)


@dataclass(frozen=True, slots=True)
class CartProblem:
    line_id: ObjectId | None  # None: a problem of the whole cart
    code: CartProblemCode
    message: str

    @property
    def blocking(self) -> bool:
        return self.code in BLOCKING


@dataclass(frozen=True, slots=True)
class CartLineView:
    id: ObjectId
    product_id: ObjectId
    variant_id: ObjectId
    product: Document | None  # None once it was deleted
    variant: StoredVariant | None  # None once it (or its product) is gone or inactive
    quantity: int
    unit_price: int
    line_total: int

    @property
    def available(self) -> bool:
        """Whether this line could be bought as it is now."""
        return self.variant is not None and self.variant.stock >= self.quantity


@dataclass(frozen=True, slots=True)
class DiscountRefusal:
    """Why a code gives a cart nothing: a sentence for the shopper, and the userError code
    a checkout reports it with."""

    message: str
    code: ErrorCode
    below_minimum: bool = False  # only the subtotal is too small: the cart may grow


@dataclass(frozen=True, slots=True)
class DiscountState:
    """The cart's code as found today, and why it does not apply (None: it does)."""

    code: str
    found: DiscountCode | None
    why_not: DiscountRefusal | None


@dataclass(frozen=True, slots=True)
class PricingTerms:
    """What the store charges besides the goods, as read for this cart."""

    currency: str
    prices_include_tax: bool
    tax_rate: Decimal | None  # percent, for the shipping address; None: no tax known
    shipping_method: ShippingMethod | None  # the selected one, if it still exists
    shipping_methods: Sequence[ShippingMethod]  # those for the shipping address's country
    discount: DiscountState | None

    @property
    def usable_shipping_method(self) -> ShippingMethod | None:
        """The selected method, while it can ship this cart."""
        method = self.shipping_method
        return method if method is not None and method in self.shipping_methods else None

    @property
    def applicable_discount(self) -> DiscountCode | None:
        """The applied code, while it applies."""
        discount = self.discount
        return discount.found if discount is not None and discount.why_not is None else None


@dataclass(frozen=True, slots=True)
class CartView:
    cart: Document
    lines: tuple[CartLineView, ...]
    problems: tuple[CartProblem, ...]
    cost: CartCost
    terms: PricingTerms

    @property
    def shipping_method(self) -> ShippingMethod | None:
        return self.terms.usable_shipping_method

    @property
    def discount_code(self) -> DiscountCode | None:
        return self.terms.applicable_discount

    @property
    def discount_refusal(self) -> DiscountRefusal | None:
        discount = self.terms.discount
        return None if discount is None else discount.why_not


def priced_lines(cart: Document, products: dict[ObjectId, Document]) -> tuple[CartLineView, ...]:
    """The cart's lines at today's prices; a line no longer sold costs nothing."""
    return tuple(_line(line, products.get(line["productId"])) for line in cart["lines"])


def goods_subtotal(lines: Sequence[CartLineView]) -> int:
    return sum(line.line_total for line in lines)


def cart_view(cart: Document, lines: tuple[CartLineView, ...], terms: PricingTerms) -> CartView:
    problems = [
        problem
        for line, stored in zip(lines, cart["lines"], strict=True)
        for problem in _line_problems(line, stored, terms.currency)
    ]
    if cart.get("shippingMethodId") is not None and terms.usable_shipping_method is None:
        problems.append(
            CartProblem(
                None,
                CartProblemCode.SHIPPING_METHOD_UNAVAILABLE,
                "The shipping method chosen no longer ships to this address; choose another.",
            )
        )
    discount = terms.discount
    if discount is not None and discount.why_not is not None:
        message = f"The code {discount.code} does not apply: {discount.why_not.message}"
        problems.append(CartProblem(None, CartProblemCode.DISCOUNT_NOT_APPLICABLE, message))
    cost = _cost(lines, terms.usable_shipping_method, terms.applicable_discount, terms)
    return CartView(cart, lines, tuple(problems), cost, terms)


def _line(line: Document, product: Document | None) -> CartLineView:
    variant = None
    if product is not None and is_active(product):
        variant = stored_variant(product, line["variantId"])
    price = variant.price if variant is not None else 0
    return CartLineView(
        id=line["_id"],
        product_id=line["productId"],
        variant_id=line["variantId"],
        product=product,
        variant=variant,
        quantity=line["quantity"],
        unit_price=price,
        line_total=price * line["quantity"],
    )


def _line_problems(line: CartLineView, stored: Document, currency: str) -> list[CartProblem]:
    variant = line.variant
    if variant is None:
        return [CartProblem(line.id, CartProblemCode.UNAVAILABLE, "This item is no longer sold.")]
    problems = []
    if variant.stock <= 0:
        problems.append(
            CartProblem(line.id, CartProblemCode.OUT_OF_STOCK, "This item is out of stock.")
        )
    elif variant.stock < line.quantity:
        message = f"Only {variant.stock} in stock; the cart has {line.quantity}."
        problems.append(CartProblem(line.id, CartProblemCode.INSUFFICIENT_STOCK, message))
    seen = stored.get("seenPrice")
    if seen is not None and seen != variant.price:
        message = (
            f"The price changed from {format_amount(seen, currency)} to "
            f"{format_amount(variant.price, currency)} since this was added."
        )
        problems.append(CartProblem(line.id, CartProblemCode.PRICE_CHANGED, message))
    return problems


def _cost(
    lines: Sequence[CartLineView],
    shipping: ShippingMethod | None,
    discount: DiscountCode | None,
    terms: PricingTerms,
) -> CartCost:
    """Lines no longer sold cost nothing; the rest count at today's price."""
    priced = [PricedLine(line.unit_price, line.quantity) for line in lines if line.variant]
    charge = None
    if shipping is not None:
        charge = ShippingCharge(shipping.price, shipping.free_over_subtotal)
    return cart_cost(
        priced,
        charge,
        None if discount is None else discount.terms(terms.currency),
        terms.tax_rate,
        terms.prices_include_tax,
        terms.currency,
    )
