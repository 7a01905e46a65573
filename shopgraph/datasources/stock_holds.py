"""Stock taken for an order, recorded on the product itself so it can be undone exactly once.

Taking stock writes a marker `holds.<orderKey>` in the same atomic update as the `$inc`;
undoing it requires the marker and removes it, so a release can never run twice. Stock
returned from a cancelled order leaves `returns.<orderKey>` the same way. A crash between
steps leaves markers that the recovery sweep finds and settles.
"""

from collections.abc import Iterable

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from shopgraph.clock import now_ms
from shopgraph.datasources.base import CollectionDatasource, StockChanges
from shopgraph.datasources.products import INACTIVE_VALUES
from shopgraph.documents import Document

# Released holds leave `holds: {}` behind; only products still holding something are read.
# `$and` short-circuits, so `$objectToArray` only ever sees an object.
_HOLDING_ANY = {
    "holds": {"$exists": True},
    "$expr": {
        "$and": [
            {"$eq": [{"$type": "$holds"}, "object"]},
            {"$gt": [{"$size": {"$objectToArray": "$holds"}}, 0]},
        ]
    },
}


class StockHoldsDatasource(CollectionDatasource):
    """Works on the `products` collection."""

    def __init__(self, collection: AsyncCollection[Document], stock_changes: StockChanges) -> None:
        super().__init__(collection)
        self.stock_changes = stock_changes

    async def take(
        self,
        product_id: ObjectId,
        order_key: str,
        quantity: int,
        session: AsyncClientSession | None = None,
    ) -> Document | None:
        """None when the product is missing, inactive, or has fewer than `quantity` units."""
        product = await self.collection.find_one_and_update(
            {
                "_id": product_id,
                "stock": {"$gte": quantity},
                "active": {"$nin": INACTIVE_VALUES},
                f"holds.{order_key}": {"$exists": False},
            },
            {
                "$inc": {"stock": -quantity},
                "$set": {f"holds.{order_key}": {"quantity": quantity, "atMs": now_ms()}},
                "$currentDate": {"updatedAt": True},
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        self.stock_changes.changed(product)
        return product

    async def release(
        self,
        product_id: ObjectId,
        order_key: str,
        quantity: int,
        session: AsyncClientSession | None = None,
    ) -> bool:
        """Gives the units back; False when there was no hold (already released or settled)."""
        product = await self.collection.find_one_and_update(
            {"_id": product_id, f"holds.{order_key}": {"$exists": True}},
            {
                "$inc": {"stock": quantity},
                "$unset": {f"holds.{order_key}": ""},
                "$currentDate": {"updatedAt": True},
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        self.stock_changes.changed(product)
        return product is not None

    async def settle(
        self,
        product_ids: Iterable[ObjectId],
        order_key: str,
        session: AsyncClientSession | None = None,
    ) -> None:
        """The order exists now: its stock stays taken and the markers go."""
        await self.collection.update_many(
            {"_id": {"$in": list(product_ids)}},
            {"$unset": {f"holds.{order_key}": ""}},
            session=session,
        )

    async def give_back(self, product_id: ObjectId, order_key: str, quantity: int) -> bool:
        """Returns a cancelled order's units once; False when they were already returned."""
        product = await self.collection.find_one_and_update(
            {"_id": product_id, f"returns.{order_key}": {"$exists": False}},
            {
                "$inc": {"stock": quantity},
                "$set": {f"returns.{order_key}": now_ms()},
                "$currentDate": {"updatedAt": True},
            },
            return_document=ReturnDocument.AFTER,
        )
        self.stock_changes.changed(product)
        return product is not None

    async def forget_returns(self, product_ids: Iterable[ObjectId], order_key: str) -> None:
        await self.collection.update_many(
            {"_id": {"$in": list(product_ids)}}, {"$unset": {f"returns.{order_key}": ""}}
        )

    async def stale_holds(self, older_than_ms: int) -> list[tuple[ObjectId, str, int]]:
        """(product, order key, quantity) of holds older than the cutoff."""
        stale = []
        async for product in self.collection.find(_HOLDING_ANY, {"holds": 1}):
            for order_key, hold in (product.get("holds") or {}).items():
                if isinstance(hold, dict) and hold.get("atMs", 0) < older_than_ms:
                    stale.append((product["_id"], order_key, int(hold["quantity"])))
        return stale
