"""Variant types: a product's options, its buyable variants, and the range of their prices."""

from typing import Self

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types import Info

from shopgraph.datasources.product_variants import StoredVariant
from shopgraph.documents import Document
from shopgraph.resolvers import image_fields, variant_fields
from shopgraph.schema.money import Money


def variant_global_id(product_id: ObjectId, variant_id: ObjectId) -> strawberry.ID:
    """A variant's global ID names its product too, so it is found with one read."""
    return strawberry.ID(relay.to_base64("ProductVariant", f"{product_id}:{variant_id}"))


@strawberry.type(description="An option a product comes in, such as Size, and its values.")
class ProductOption:
    name: str
    values: list[str]


@strawberry.type(description="The value of one option that a variant has.")
class SelectedOption:
    name: str
    value: str


@strawberry.type(description="The lowest and highest price of a product's variants.")
class PriceRange:
    min: Money
    max: Money


@strawberry.type(
    description="A buyable version of a product (e.g. size 42 in black), with its own SKU, "
    "price and stock. A product without options has exactly one."
)
class ProductVariant(relay.Node):
    product_document: strawberry.Private[Document]
    variant: strawberry.Private[StoredVariant]

    product = strawberry.field(resolver=variant_fields.variant_product)
    image = strawberry.field(
        resolver=image_fields.variant_image,
        description="The product's picture that shows this variant, if one was chosen.",
    )

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return f"{root.product_document['_id']}:{root.variant.id}"

    @strawberry.field(description="Stock keeping unit, unique among products and variants.")
    def sku(self) -> str:
        return self.variant.sku

    @strawberry.field(description='The option values joined, e.g. "42 / Black".')
    def title(self) -> str:
        return self.variant.title

    @strawberry.field
    def selected_options(self) -> list[SelectedOption]:
        return [SelectedOption(name=n, value=v) for n, v in self.variant.selected_options]

    @strawberry.field
    def price(self, info: Info) -> Money:
        return Money.from_minor_units(self.variant.price, info.context.settings.currency)

    @strawberry.field(description="Units of this variant available to order.")
    def stock(self) -> int:
        return self.variant.stock

    @strawberry.field
    def in_stock(self) -> bool:
        return self.variant.stock > 0
