"""StockUpdate: what a `stockUpdated` subscriber receives."""

from datetime import UTC, datetime

import strawberry
from bson import ObjectId

from shopgraph.datasources.product_variants import StoredVariant, stored_variant
from shopgraph.documents import Document
from shopgraph.schema.products import Product, product_global_id
from shopgraph.schema.variants import ProductVariant, variant_global_id


@strawberry.type(description="A variant's stock changed.")
class StockUpdate:
    document: strawberry.Private[Document]  # the product after the change
    changed_variant_id: strawberry.Private[ObjectId]

    def _variant(self) -> StoredVariant | None:
        return stored_variant(self.document, self.changed_variant_id)

    def _stock(self) -> int:
        variant = self._variant()
        return 0 if variant is None else variant.stock

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return product_global_id(self.document["_id"])

    @strawberry.field
    def variant_id(self) -> strawberry.ID:
        return variant_global_id(self.document["_id"], self.changed_variant_id)

    @strawberry.field(description="The variant's stock.")
    def stock(self) -> int:
        return self._stock()

    @strawberry.field(description="Whether the variant is in stock.")
    def in_stock(self) -> bool:
        return self._stock() > 0

    @strawberry.field(description="The product's stock: the sum of its variants'.")
    def product_stock(self) -> int:
        return self.document["stock"]

    @strawberry.field(description="When the product last changed.")
    def updated_at(self) -> datetime:
        updated = self.document.get("updatedAt")
        return updated if isinstance(updated, datetime) else datetime.now(UTC)

    @strawberry.field(description="The product as it is after the change.")
    def product(self) -> Product:
        return Product(document=self.document)

    @strawberry.field(description="The variant as it is after the change.")
    def variant(self) -> ProductVariant | None:
        variant = self._variant()
        if variant is None:
            return None
        return ProductVariant(product_document=self.document, variant=variant)
