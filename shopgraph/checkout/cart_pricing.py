"""Reads what a cart's view needs, a fixed number of queries however many lines it has:
its products in one read; then, side by side, the shipping methods for its address, the
selected one, the tax rate and the discount code; then the code's uses."""

import asyncio
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.checkout.cart_view import (
    CartView,
    DiscountRefusal,
    DiscountState,
    PricingTerms,
    cart_view,
    goods_subtotal,
    priced_lines,
)
from shopgraph.checkout.discount_codes import DiscountCode, DiscountCodes, why_not_applicable
from shopgraph.checkout.discount_uses import DiscountUses
from shopgraph.checkout.shipping_methods import ShippingMethod, ShippingMethods
from shopgraph.checkout.tax_rates import TaxRates
from shopgraph.clock import utc_now
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.documents import Document
from shopgraph.errors import ErrorCode
from shopgraph.money import format_amount


def discount_customer(cart: Document) -> str | None:
    """Whose uses of a code count against its per-customer limit: the account's, or a
    guest's email's (None until the guest gives one)."""
    if cart.get("userId") is not None:
        return f"user:{cart['userId']}"
    if cart.get("email"):
        return f"email:{cart['email']}"
    return None


@dataclass(frozen=True, slots=True)
class CartPricing:
    products: ProductsDatasource
    shipping_methods: ShippingMethods
    tax_rates: TaxRates
    discount_codes: DiscountCodes
    discount_uses: DiscountUses
    currency: str
    prices_include_tax: bool

    async def view(self, cart: Document) -> CartView:
        ids = {line["productId"] for line in cart["lines"]}
        address = cart.get("shippingAddress") or {}
        country, region = address.get("country"), address.get("region")
        method_id = cart.get("shippingMethodId")
        products, methods, selected, rate, code = await asyncio.gather(
            self.products.by_ids(ids, None) if ids else _nothing_found(),
            self.shipping_methods.for_country(country) if country else _no_methods(),
            self.shipping_methods.get(method_id) if method_id else _none(),
            self.tax_rates.rate_for(country, region) if country else _none(),
            self.discount_codes.find(cart["discountCode"]) if cart.get("discountCode") else _none(),
        )
        lines = priced_lines(cart, products)
        discount = None
        if cart.get("discountCode"):
            goods = goods_subtotal(lines)
            why_not = await self.why_not(code, goods, discount_customer(cart))
            discount = DiscountState(cart["discountCode"], code, why_not)
        terms = PricingTerms(
            currency=self.currency,
            prices_include_tax=self.prices_include_tax,
            tax_rate=rate,
            shipping_method=selected,
            shipping_methods=methods,
            discount=discount,
        )
        return cart_view(cart, lines, terms)

    async def goods_subtotal(self, cart: Document) -> int:
        """The cart's goods at today's prices, from one read of its products."""
        ids = {line["productId"] for line in cart["lines"]}
        products = await self.products.by_ids(ids, None) if ids else {}
        return goods_subtotal(priced_lines(cart, products))

    async def why_not(
        self, code: DiscountCode | None, goods_subtotal: int, customer: str | None
    ) -> DiscountRefusal | None:
        """Why `code` gives this cart nothing today (None: it applies)."""
        if code is None:
            return DiscountRefusal(
                "there is no such code any more.", ErrorCode.DISCOUNT_CODE_INVALID
            )
        # The minimum is judged last, apart: a cart may still grow into it.
        enough = max(goods_subtotal, code.min_subtotal or 0)
        why_not = why_not_applicable(code, enough, utc_now(), self.currency)
        if why_not is not None:
            return DiscountRefusal(why_not, ErrorCode.DISCOUNT_CODE_INVALID)
        exhausted = ErrorCode.DISCOUNT_CODE_EXHAUSTED
        if code.usage_limit is not None:
            used = (await self.discount_codes.times_used([code.id])).get(code.id, 0)
            if used >= code.usage_limit:
                return DiscountRefusal("it has been used as many times as it may be.", exhausted)
        per_customer = code.usage_per_customer
        if (
            per_customer is not None
            and customer is not None
            and await self.discount_uses.used_by(code.id, customer) >= per_customer
        ):
            return DiscountRefusal("you have used it as many times as you may.", exhausted)
        if code.min_subtotal is not None and goods_subtotal < code.min_subtotal:
            minimum = format_amount(code.min_subtotal, self.currency)
            message = f"it needs a subtotal of at least {minimum}."
            return DiscountRefusal(message, ErrorCode.DISCOUNT_CODE_INVALID, below_minimum=True)
        return None


async def _nothing_found() -> dict[ObjectId, Document]:
    return {}


async def _no_methods() -> list[ShippingMethod]:
    return []


async def _none() -> None:
    return None
