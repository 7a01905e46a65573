"""Order types, and the inputs and payload of the order mutations."""

from datetime import datetime
from enum import Enum
from typing import ClassVar

import strawberry

from shopgraph.checkout.order_states import UNPLACED
from shopgraph.checkout.order_states import OrderStatus as Status
from shopgraph.documents import Document
from shopgraph.resolvers import order_fields
from shopgraph.schema.addresses import Address
from shopgraph.schema.connections import CountedConnection
from shopgraph.schema.money import Money
from shopgraph.schema.nodes import DocumentNode
from shopgraph.schema.products import Product, product_global_id
from shopgraph.schema.user_errors import UserError
from shopgraph.schema.users import User
from shopgraph.schema.variants import ProductVariant, variant_global_id

# The statuses a client can see: every one of the state machine's but RESERVING.
OrderStatus = strawberry.enum(
    Enum("OrderStatus", {status.name: status.value for status in Status if status != UNPLACED})
)


@strawberry.type(description="One line of an order, as it was when the order was placed.")
class OrderItem:
    document: strawberry.Private[Document]
    currency: strawberry.Private[str]

    product: Product | None = strawberry.field(
        resolver=order_fields.item_product,
        description="The product as it is now; null once it was deleted.",
    )
    variant: ProductVariant | None = strawberry.field(
        resolver=order_fields.item_variant,
        description="The variant as it is now; null once it (or its product) was deleted.",
    )

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return product_global_id(self.document["productId"])

    @strawberry.field
    def variant_id(self) -> strawberry.ID | None:
        product_id = self.document["productId"]
        return variant_global_id(product_id, self.document.get("variantId", product_id))

    @strawberry.field(
        description='The variant\'s title when ordered, e.g. "42 / Black"; null for the '
        "default variant of a product without options."
    )
    def variant_title(self) -> str | None:
        return self.document.get("variantTitle")

    @strawberry.field(description="The variant's SKU when ordered.")
    def sku(self) -> str:
        return self.document["sku"]

    @strawberry.field
    def name(self) -> str:
        return self.document["name"]

    @strawberry.field
    def unit_price(self) -> Money:
        return Money.from_minor_units(self.document["unitPrice"], self.currency)

    @strawberry.field
    def quantity(self) -> int:
        return self.document["quantity"]

    @strawberry.field
    def line_total(self) -> Money:
        return Money.from_minor_units(self.document["lineTotal"], self.currency)


@strawberry.type(description="How an order is shipped, as chosen at checkout.")
class OrderShippingMethod:
    name: str
    price: Money


@strawberry.type(description="A discount code an order used, and what it took off.")
class OrderDiscount:
    code: str
    amount: Money


@strawberry.type(description="What a customer bought.")
class Order(DocumentNode):
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "__typename": (),
        "id": (),
        "number": ("number",),
        "user": ("userId",),
        "items": ("items", "currency"),
        "subtotal": ("subtotal", "currency"),
        "total": ("total", "currency"),
        "status": ("status",),
        "createdAt": ("createdAt",),
        "updatedAt": ("updatedAt",),
        "holdExpiresAt": ("holdExpiresAt", "status"),
        "email": ("email",),
        "shippingAddress": ("shippingAddress",),
        "billingAddress": ("billingAddress",),
        "shippingMethod": ("shippingMethod", "currency"),
        "discounts": ("discounts", "currency"),
        "shippingTotal": ("shippingTotal", "currency"),
        "taxTotal": ("taxTotal", "currency"),
        "discountTotal": ("discountTotal", "currency"),
        "taxIncluded": ("taxIncluded",),
        "token": ("token",),
    }

    user: User | None = strawberry.field(resolver=order_fields.order_user)

    @strawberry.field(description="Sequential and human-readable, e.g. for the email.")
    def number(self) -> int:
        return self.document["number"]

    @strawberry.field
    def items(self) -> list[OrderItem]:
        return [
            OrderItem(document=item, currency=self.document["currency"])
            for item in self.document["items"]
        ]

    @strawberry.field
    def subtotal(self) -> Money:
        return Money.from_minor_units(self.document["subtotal"], self.document["currency"])

    @strawberry.field
    def total(self) -> Money:
        return Money.from_minor_units(self.document["total"], self.document["currency"])

    @strawberry.field
    def status(self) -> OrderStatus:
        return OrderStatus(self.document["status"])

    @strawberry.field(description="Where the confirmation goes (orders from a cart).")
    def email(self) -> str | None:
        return self.document.get("email")

    @strawberry.field
    def shipping_address(self) -> Address | None:
        return Address.from_stored(self.document.get("shippingAddress"))

    @strawberry.field
    def billing_address(self) -> Address | None:
        return Address.from_stored(self.document.get("billingAddress"))

    @strawberry.field(description="The method chosen at checkout, as it was then.")
    def shipping_method(self) -> OrderShippingMethod | None:
        method = self.document.get("shippingMethod")
        if method is None:
            return None
        price = Money.from_minor_units(method["price"], self.document["currency"])
        return OrderShippingMethod(name=method["name"], price=price)

    @strawberry.field
    def discounts(self) -> list[OrderDiscount]:
        currency = self.document["currency"]
        return [
            OrderDiscount(
                code=discount["code"],
                amount=Money.from_minor_units(discount["amount"], currency),
            )
            for discount in self.document.get("discounts") or ()
        ]

    @strawberry.field
    def shipping_total(self) -> Money:
        return self._amount("shippingTotal")

    @strawberry.field(
        description="Added to the total; with tax-inclusive prices, the tax the total contains."
    )
    def tax_total(self) -> Money:
        return self._amount("taxTotal")

    @strawberry.field
    def discount_total(self) -> Money:
        return self._amount("discountTotal")

    @strawberry.field(description="Prices and shipping contained the tax.")
    def tax_included(self) -> bool:
        return bool(self.document.get("taxIncluded", False))

    @strawberry.field(
        description="A guest's key to this order (orderByToken, payOrder, cancelOrder): "
        "shown once, in checkoutComplete's answer; null everywhere else."
    )
    def token(self) -> str | None:
        return self.document.get("token")

    def _amount(self, field: str) -> Money:
        return Money.from_minor_units(self.document.get(field, 0), self.document["currency"])

    @strawberry.field(description="A PENDING order is cancelled when this passes unpaid.")
    def hold_expires_at(self) -> datetime | None:
        return (
            self.document.get("holdExpiresAt")
            if self.document["status"] == Status.PENDING
            else None
        )

    @strawberry.field
    def created_at(self) -> datetime:
        return self.document["createdAt"]

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.document["updatedAt"]


@strawberry.type(description="A page of orders.")
class OrderConnection(CountedConnection[Order]):
    NODE = Order


@strawberry.input(
    description="Exactly one of `variantId` and `productId` (a product with one variant)."
)
class OrderLineInput:
    product_id: strawberry.ID | None = None
    variant_id: strawberry.ID | None = None
    quantity: int


@strawberry.input
class PlaceOrderInput:
    items: list[OrderLineInput]
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the same order instead of a new one.",
    )


@strawberry.input
class PaymentInput:
    token: str = strawberry.field(description="From the payment provider; `tok_visa` in tests.")


@strawberry.type
class OrderPayload:
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
