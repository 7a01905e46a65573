"""StockUpdate: what a `stockUpdated` subscriber receives."""

from datetime import UTC, datetime

import strawberry

from shopgraph.documents import Document
from shopgraph.schema.products import Product, product_global_id


@strawberry.type(description="A product's stock changed.")
class StockUpdate:
    document: strawberry.Private[Document]  # the product after the change

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return product_global_id(self.document["_id"])

    @strawberry.field
    def stock(self) -> int:
        return self.document["stock"]

    @strawberry.field
    def in_stock(self) -> bool:
        return self.document["stock"] > 0

    @strawberry.field(description="When the product last changed.")
    def updated_at(self) -> datetime:
        updated = self.document.get("updatedAt")
        return updated if isinstance(updated, datetime) else datetime.now(UTC)

    @strawberry.field(description="The product as it is after the change.")
    def product(self) -> Product:
        return Product(document=self.document)
