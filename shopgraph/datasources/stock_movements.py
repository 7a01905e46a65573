"""The `stock_movements` collection: every stock change, who made it and why."""

from datetime import UTC, datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from shopgraph.datasources.base import CollectionDatasource


class StockMovementsDatasource(CollectionDatasource):
    INDEXES = (IndexModel([("productId", ASCENDING)], name="productId"),)

    async def record(
        self,
        product_id: ObjectId,
        variant_id: ObjectId,
        delta: int,
        stock_after: int,
        reason: str,
        user_id: ObjectId | None,
    ) -> None:
        await self.collection.insert_one(
            {
                "productId": product_id,
                "variantId": variant_id,
                "delta": delta,
                "stockAfter": stock_after,
                "reason": reason,
                "userId": user_id,
                "at": datetime.now(UTC),
            }
        )
