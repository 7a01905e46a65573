"""Cart types, and the inputs and payload of the cart mutations."""

import asyncio
from datetime import datetime
from enum import Enum
from typing import ClassVar

import strawberry
from strawberry.types import Info

from shopgraph.checkout.cart_view import CartLineView, CartView
from shopgraph.checkout.cart_view import CartProblemCode as ProblemCode
from shopgraph.resolvers import cart_fields
from shopgraph.schema.addresses import Address
from shopgraph.schema.money import Money
from shopgraph.schema.nodes import DocumentNode
from shopgraph.schema.products import Product
from shopgraph.schema.shipping import ShippingMethod
from shopgraph.schema.user_errors import UserError
from shopgraph.schema.variants import ProductVariant

CartProblemCode = strawberry.enum(
    Enum("CartProblemCode", {code.name: code.value for code in ProblemCode}),
    description="What is wrong with a cart; all but PRICE_CHANGED stop a checkout.",
)


@strawberry.type(description="One variant in a cart, at today's price.")
class CartLine:
    line: strawberry.Private[CartLineView]

    id: strawberry.ID = strawberry.field(resolver=cart_fields.line_id)
    variant: ProductVariant | None = strawberry.field(
        resolver=cart_fields.line_variant,
        description="Null once the variant (or its product) is no longer sold.",
    )
    product: Product | None = strawberry.field(
        resolver=cart_fields.line_product, description="Null once the product is no longer sold."
    )
    quantity: int = strawberry.field(resolver=cart_fields.line_quantity)
    unit_price: Money = strawberry.field(resolver=cart_fields.line_unit_price)
    line_total: Money = strawberry.field(resolver=cart_fields.line_total)
    available: bool = strawberry.field(
        resolver=cart_fields.line_available,
        description="Whether the line can be bought as it is: sold, and enough in stock.",
    )


@strawberry.type(
    description="What a cart costs today; total = subtotal + shipping + tax "
    "- discount exactly (tax not added when prices include it)."
)
class CartCost:
    subtotal: Money = strawberry.field(description="The goods, before the discount.")
    shipping: Money
    tax: Money
    discount: Money
    total: Money
    tax_included: bool = strawberry.field(description="Prices and shipping contain the tax.")


@strawberry.type(description="Something that changed under a cart, or that it still lacks.")
class CartProblem:
    line_id: strawberry.ID | None = strawberry.field(
        description="The line at fault; null for the whole cart."
    )
    code: CartProblemCode
    message: str


@strawberry.type(
    description="What a shopper means to buy. It holds no stock: stock is taken at checkout."
)
class Cart(DocumentNode):
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {}
    view_task: strawberry.Private["asyncio.Future[CartView] | None"] = None

    total_quantity: int = strawberry.field(resolver=cart_fields.total_quantity)
    email: str | None = strawberry.field(resolver=cart_fields.cart_email)
    shipping_address: Address | None = strawberry.field(resolver=cart_fields.shipping_address)
    billing_address: Address | None = strawberry.field(resolver=cart_fields.billing_address)
    shipping_method: ShippingMethod | None = strawberry.field(resolver=cart_fields.shipping_method)
    available_shipping_methods: list[ShippingMethod] = strawberry.field(
        resolver=cart_fields.available_shipping_methods,
        description="The active methods that ship to the shipping address; none without one.",
    )
    discount_codes: list[str] = strawberry.field(
        resolver=cart_fields.discount_codes, description="At most one code per cart."
    )
    completed: bool = strawberry.field(
        resolver=cart_fields.completed,
        description="Checked out (or merged into the customer's cart): it can no longer change.",
    )

    @strawberry.field
    async def lines(self, info: Info) -> list[CartLine]:
        return [CartLine(line=line) for line in (await cart_fields.view_of(self, info)).lines]

    @strawberry.field
    async def cost(self, info: Info) -> CartCost:
        cost = (await cart_fields.view_of(self, info)).cost
        return CartCost(
            subtotal=cart_fields.money(info, cost.subtotal),
            shipping=cart_fields.money(info, cost.shipping),
            tax=cart_fields.money(info, cost.tax),
            discount=cart_fields.money(info, cost.discount),
            total=cart_fields.money(info, cost.total),
            tax_included=cost.tax_included,
        )

    @strawberry.field
    async def problems(self, info: Info) -> list[CartProblem]:
        return [
            CartProblem(
                line_id=None
                if problem.line_id is None
                else cart_fields.line_global_id(problem.line_id),
                code=CartProblemCode(problem.code.value),
                message=problem.message,
            )
            for problem in (await cart_fields.view_of(self, info)).problems
        ]

    @strawberry.field
    def created_at(self) -> datetime:
        return self.document["createdAt"]

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.document["updatedAt"]

    @strawberry.field(description="When the cart is deleted unless it changes before then.")
    def expires_at(self) -> datetime:
        return self.document["expiresAt"]


@strawberry.input(
    description="Exactly one of `variantId` and `productId` (a product with one variant)."
)
class CartLineInput:
    product_id: strawberry.ID | None = None
    variant_id: strawberry.ID | None = None
    quantity: int


@strawberry.input
class CartLineUpdateInput:
    id: strawberry.ID
    quantity: int = strawberry.field(description="0 removes the line.")


@strawberry.input
class CartCreateInput:
    lines: list[CartLineInput] | None = None
    email: str | None = None


@strawberry.type
class CartPayload:
    cart: Cart | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
