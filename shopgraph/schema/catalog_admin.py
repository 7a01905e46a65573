"""Inputs and payloads of the admin catalog mutations."""

from decimal import Decimal

import strawberry

from shopgraph.schema.products import Product
from shopgraph.schema.user_errors import UserError
from shopgraph.schema.variants import ProductVariant


@strawberry.input(description="An option a product comes in, such as Size, and its values.")
class ProductOptionInput:
    name: str
    values: list[str]


@strawberry.input
class SelectedOptionInput:
    name: str
    value: str


@strawberry.input(description="A new variant: one value of each of the product's options.")
class VariantInput:
    sku: str
    price: Decimal = strawberry.field(description='In the store currency, e.g. "12.50".')
    stock: int = 0
    selected_options: list[SelectedOptionInput] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields given change.")
class VariantUpdateInput:
    sku: str | None = None
    price: Decimal | None = None
    stock: int | None = strawberry.field(
        default=None, description="The new stock; requires `expectedStock`."
    )
    expected_stock: int | None = strawberry.field(
        default=None,
        description="The stock you saw, required with `stock`: the update applies only while "
        "the stock is still this.",
    )
    selected_options: list[SelectedOptionInput] | None = None


@strawberry.input
class ProductCreateInput:
    sku: str
    name: str
    price: Decimal | None = strawberry.field(
        default=None,
        description='In the store currency, e.g. "12.50". Required without `variants`; with '
        "them, each variant has its own.",
    )
    description: str = ""
    stock: int = strawberry.field(
        default=0, description="The stock of the product's one variant, without `variants`."
    )
    category: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    active: bool = True
    options: list[ProductOptionInput] | None = strawberry.field(
        default=None, description="At most 3, each with its values; needs `variants`."
    )
    variants: list[VariantInput] | None = strawberry.field(
        default=None,
        description="At most 100; omitted, the product has one variant with its SKU, price "
        "and stock.",
    )


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
    options: list[ProductOptionInput] | None = strawberry.field(
        default=strawberry.UNSET,
        description="The product's options: variants keep their values, take the first value "
        "of a new option, and lose those of a removed one.",
    )
    expected_stock: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="The stock you saw, required with `stock`: the update applies only while "
        "the stock is still this, else nothing changes and the error STOCK_CHANGED gives the "
        "current stock.",
    )


@strawberry.type
class ProductPayload:
    product: Product | None = None
    variant: ProductVariant | None = strawberry.field(
        default=None, description="The variant whose stock `adjustStock` changed."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProductVariantPayload:
    variant: ProductVariant | None = None
    product: Product | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteVariantPayload:
    deleted_id: strawberry.ID | None = None
    product: Product | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteProductPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
