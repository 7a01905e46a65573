"""Fields of Cart and CartLine. A cart's view (`checkout.cart_view`) is read once per cart
per request, whichever fields ask for it: lines, cost and problems come from one pricing."""

import asyncio
from typing import Protocol

import strawberry
from strawberry import relay

from shopgraph.checkout.cart_view import CartLineView, CartView
from shopgraph.checkout.carts import CartStatus
from shopgraph.documents import Document
from shopgraph.resolvers.context import Info
from shopgraph.schema.addresses import Address
from shopgraph.schema.money import Money
from shopgraph.schema.products import Product
from shopgraph.schema.shipping import ShippingMethod
from shopgraph.schema.variants import ProductVariant


class OfCart(Protocol):
    document: Document
    view_task: "asyncio.Future[CartView] | None"


class OfLine(Protocol):
    line: CartLineView


def line_global_id(line_id: object) -> strawberry.ID:
    return strawberry.ID(relay.to_base64("CartLine", str(line_id)))


async def view_of(root: OfCart, info: Info) -> CartView:
    """Priced on first use; later fields of the same cart await the same pricing."""
    if root.view_task is None:
        root.view_task = asyncio.ensure_future(
            info.context.services.cart_pricing.view(root.document)
        )
    return await root.view_task


def money(info: Info, minor: int) -> Money:
    return Money.from_minor_units(minor, info.context.settings.currency)


def total_quantity(root: OfCart) -> int:
    return sum(line["quantity"] for line in root.document["lines"])


def cart_email(root: OfCart) -> str | None:
    return root.document.get("email")


def shipping_address(root: OfCart) -> Address | None:
    return Address.from_stored(root.document.get("shippingAddress"))


def billing_address(root: OfCart) -> Address | None:
    return Address.from_stored(root.document.get("billingAddress"))


async def shipping_method(root: OfCart, info: Info) -> ShippingMethod | None:
    """The method chosen, while it still exists (a problem says when it cannot ship)."""
    method = (await view_of(root, info)).terms.shipping_method
    return None if method is None else ShippingMethod(method=method)


async def available_shipping_methods(root: OfCart, info: Info) -> list[ShippingMethod]:
    methods = (await view_of(root, info)).terms.shipping_methods
    return [ShippingMethod(method=method) for method in methods]


def discount_codes(root: OfCart) -> list[str]:
    code = root.document.get("discountCode")
    return [code] if code else []


def completed(root: OfCart) -> bool:
    return root.document["status"] != CartStatus.OPEN


def line_id(root: OfLine) -> strawberry.ID:
    return line_global_id(root.line.id)


def line_variant(root: OfLine) -> ProductVariant | None:
    line = root.line
    if line.product is None or line.variant is None:
        return None
    return ProductVariant(product_document=line.product, variant=line.variant)


def line_product(root: OfLine) -> Product | None:
    line = root.line
    return None if line.variant is None or line.product is None else Product(document=line.product)


def line_quantity(root: OfLine) -> int:
    return root.line.quantity


def line_unit_price(root: OfLine, info: Info) -> Money:
    return money(info, root.line.unit_price)


def line_total(root: OfLine, info: Info) -> Money:
    return money(info, root.line.line_total)


def line_available(root: OfLine) -> bool:
    return root.line.available
