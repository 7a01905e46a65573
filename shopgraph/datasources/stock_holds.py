"""Stock taken for an order, recorded on the product itself so it can be undone exactly once.

Taking stock writes a marker `holds.<orderKey>` in the same atomic update as the `$inc`;
undoing it requires the marker and removes it, so a release can never run twice. Stock
returned from a cancelled order leaves `returns.<orderKey>` the same way. A crash between
steps leaves markers that the recovery sweep finds and settles.

Return markers are removed once the order records its stock as back; each removal moves
the product's `returnsEpoch` on, so a return that read the epoch before cannot apply
after its marker is gone (see `checkout.cancelling.return_stock`).
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

RETURNS_EPOCH = "returnsEpoch"


def _any_marker(field: str) -> Document:
    """Products with at least one marker under `field`. Removed markers leave `{}` behind;
    `$and` short-circuits, so `$objectToArray` only ever sees an object."""
    return {
        field: {"$exists": True},
        "$expr": {
            "$and": [
                {"$eq": [{"$type": f"${field}"}, "object"]},
                {"$gt": [{"$size": {"$objectToArray": f"${field}"}}, 0]},
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

    async def unreturned(
        self, product_ids: Iterable[ObjectId], order_key: str
    ) -> dict[ObjectId, int | None]:
        """Each product that has not taken this order's units back, with its return epoch
        as read now (None before any marker was removed); returned or deleted products are
        absent."""
        cursor = self.collection.find(
            {"_id": {"$in": list(product_ids)}, f"returns.{order_key}": {"$exists": False}},
            {RETURNS_EPOCH: 1},
        )
        return {product["_id"]: product.get(RETURNS_EPOCH) async for product in cursor}

    async def give_back(
        self, product_id: ObjectId, order_key: str, quantity: int, epoch: int | None
    ) -> bool:
        """Returns a cancelled order's units once; False when they were already returned,
        or when return markers were removed from the product since `epoch` was read."""
        product = await self.collection.find_one_and_update(
            # `None` matches a product without the field, as on every MongoDB.
            {"_id": product_id, f"returns.{order_key}": {"$exists": False}, RETURNS_EPOCH: epoch},
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
        """Removes the order's return markers, moving each product's epoch on in the same
        update; only once the order no longer owes its stock."""
        await self.collection.update_many(
            {"_id": {"$in": list(product_ids)}, f"returns.{order_key}": {"$exists": True}},
            {"$unset": {f"returns.{order_key}": ""}, "$inc": {RETURNS_EPOCH: 1}},
        )

    async def stale_returns(self, older_than_ms: int) -> list[tuple[ObjectId, str]]:
        """(product, order key) of return markers older than the cutoff."""
        stale = []
        async for product in self.collection.find(_any_marker("returns"), {"returns": 1}):
            for order_key, at_ms in (product.get("returns") or {}).items():
                if isinstance(at_ms, int) and at_ms < older_than_ms:
                    stale.append((product["_id"], order_key))
        return stale

    async def stale_holds(self, older_than_ms: int) -> list[tuple[ObjectId, str, int]]:
        """(product, order key, quantity) of holds older than the cutoff."""
        stale = []
        async for product in self.collection.find(_any_marker("holds"), {"holds": 1}):
            for order_key, hold in (product.get("holds") or {}).items():
                if isinstance(hold, dict) and hold.get("atMs", 0) < older_than_ms:
                    stale.append((product["_id"], order_key, int(hold["quantity"])))
        return stale
