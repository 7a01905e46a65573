"""Inputs and payloads of the admin catalog mutations."""

from decimal import Decimal

import strawberry

from shopgraph.schema.products import Product
from shopgraph.schema.user_errors import UserError


@strawberry.input
class ProductCreateInput:
    sku: str
    name: str
    price: Decimal = strawberry.field(description='In the store currency, e.g. "12.50".')
    description: str = ""
    stock: int = 0
    category: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    active: bool = True


@strawberry.input(description="Only the fields given change; `category: null` clears it.")
class ProductUpdateInput:
    sku: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    stock: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="The new stock; requires `expectedStock`. For a relative change use "
        "`adjustStock`.",
    )
    category: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    expected_stock: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="The stock you saw, required with `stock`: the update applies only while "
        "the stock is still this, else nothing changes and the error STOCK_CHANGED gives the "
        "current stock.",
    )


@strawberry.type
class ProductPayload:
    product: Product | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteProductPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
