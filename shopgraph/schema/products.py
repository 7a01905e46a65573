"""Catalog types: Product, its connection, filter and sort."""

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import ClassVar

import strawberry
from bson import ObjectId
from strawberry import relay
from strawberry.types import Info

from shopgraph.datasources.product_variants import VARIANT_FIELDS, stored_variants
from shopgraph.datasources.products import is_active
from shopgraph.resolvers import image_fields
from shopgraph.schema.connections import CountedConnection
from shopgraph.schema.money import Money
from shopgraph.schema.nodes import DocumentNode
from shopgraph.schema.variants import PriceRange, ProductOption, ProductVariant


def product_global_id(product_id: ObjectId) -> strawberry.ID:
    """The global ID of a product referred to by id only (an order line, a stock change)."""
    return strawberry.ID(relay.to_base64("Product", str(product_id)))


@strawberry.type(description="Something the store sells.")
class Product(DocumentNode):
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "__typename": (),
        "id": (),
        "sku": ("sku",),
        "name": ("name",),
        "description": ("description",),
        "price": ("price",),
        "stock": ("stock",),
        "inStock": ("stock",),
        "category": ("category",),
        "tags": ("tags",),
        "active": ("active",),
        "createdAt": ("createdAt",),
        "updatedAt": ("updatedAt",),
        "options": ("options",),
        "variants": VARIANT_FIELDS,
        "priceRange": VARIANT_FIELDS,
        "images": (),
    }

    images = strawberry.field(
        resolver=image_fields.product_images,
        description="Its pictures in display order, at most 20; the first is the main one.",
    )

    @strawberry.field(description="Stock keeping unit, unique in the catalog.")
    def sku(self) -> str:
        return self.document["sku"]

    @strawberry.field(description="What the product comes in (Size, Colour); may be empty.")
    def options(self) -> list[ProductOption]:
        return [
            ProductOption(name=option["name"], values=list(option["values"]))
            for option in self.document.get("options") or ()
        ]

    @strawberry.field(description="The buyable versions of the product: at least one.")
    def variants(self) -> list[ProductVariant]:
        return [
            ProductVariant(product_document=self.document, variant=variant)
            for variant in stored_variants(self.document)
        ]

    @strawberry.field(description="The lowest and highest price of the product's variants.")
    def price_range(self, info: Info) -> PriceRange:
        prices = [variant.price for variant in stored_variants(self.document)]
        currency = info.context.settings.currency
        return PriceRange(
            min=Money.from_minor_units(min(prices), currency),
            max=Money.from_minor_units(max(prices), currency),
        )

    @strawberry.field
    def name(self) -> str:
        return self.document["name"]

    @strawberry.field
    def description(self) -> str:
        return self.document.get("description") or ""

    @strawberry.field(description="The lowest price of the product's variants.")
    def price(self, info: Info) -> Money:
        return Money.from_minor_units(self.document["price"], info.context.settings.currency)

    @strawberry.field(description="Units available to order: the sum of its variants' stock.")
    def stock(self) -> int:
        return self.document["stock"]

    @strawberry.field(description="Whether any variant is in stock.")
    def in_stock(self) -> bool:
        return self.document["stock"] > 0

    @strawberry.field
    def category(self) -> str | None:
        return self.document.get("category")

    @strawberry.field
    def tags(self) -> list[str]:
        return self.document.get("tags") or []

    @strawberry.field(description="Inactive products are hidden from the storefront.")
    def active(self) -> bool:
        return is_active(self.document)

    @strawberry.field
    def created_at(self) -> datetime:
        return self.document["createdAt"]

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.document.get("updatedAt") or self.document["createdAt"]


@strawberry.type(description="A page of products.")
class ProductConnection(CountedConnection[Product]):
    NODE = Product


@strawberry.enum
class ProductSortField(Enum):
    CREATED_AT = "CREATED_AT"
    NAME = "NAME"
    PRICE = "PRICE"
    STOCK = "STOCK"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input(description="Order of a product listing; ties are broken by ID.")
class ProductSort:
    field: ProductSortField
    direction: SortDirection = SortDirection.ASC


@strawberry.input(description="Which products to list. All given conditions must hold.")
class ProductFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Case-insensitive substring of the name, SKU or description.",
    )
    category: str | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="Products carrying all of these tags."
    )
    min_price: Decimal | None = strawberry.field(
        default=None, description="Lowest price, inclusive, in the store currency."
    )
    max_price: Decimal | None = strawberry.field(
        default=None, description="Highest price, inclusive, in the store currency."
    )
    in_stock: bool | None = None
    include_inactive: bool = strawberry.field(
        default=False, description="Admins only: also list inactive products."
    )
