"""The `stock_movements` collection: every stock change, who made it and why."""

from datetime import UTC, datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from shopgraph.datasources.keyset import Document

INDEXES = [IndexModel([("productId", ASCENDING)], name="productId")]


class StockMovementsDatasource:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes(INDEXES)

    async def record(
        self,
        product_id: ObjectId,
        delta: int,
        stock_after: int,
        reason: str,
        user_id: ObjectId | None,
    ) -> None:
        await self.collection.insert_one(
            {
                "productId": product_id,
                "delta": delta,
                "stockAfter": stock_after,
                "reason": reason,
                "userId": user_id,
                "at": datetime.now(UTC),
            }
        )
