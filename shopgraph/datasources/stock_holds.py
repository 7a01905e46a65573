"""Stock taken for an order, recorded on the product itself so it can be undone exactly once.

An order takes all it wants of one product's variants in one update (see
`datasources.product_variants` for where their stock lives). Taking writes a marker
`holds.<orderKey>` (the quantity per variant) in the same atomic update as the `$inc`;
undoing it requires the marker and removes it, so a release can never run twice. Stock
returned from a cancelled order leaves `returns.<orderKey>` the same way. A crash between
steps leaves markers that the recovery sweep finds and settles.

Return markers are removed once the order records its stock as back; each removal moves
the product's `returnsEpoch` on, so a return that read the epoch before cannot apply
after its marker is gone (see `checkout.cancelling.return_stock`).
"""

from collections.abc import Iterable, Mapping

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from shopgraph.clock import now_ms
from shopgraph.datasources.base import CollectionDatasource, Session, StockChanges
from shopgraph.datasources.product_variants import (
    VARIANT_FIELDS,
    VARIANT_RETRIES,
    VARIANTS_VERSION,
    stock_update,
    stored_variant,
)
from shopgraph.datasources.products import INACTIVE_VALUES
from shopgraph.documents import Document

RETURNS_EPOCH = "returnsEpoch"

# Units per variant, keyed by variant id.
Quantities = Mapping[ObjectId, int]


def held_quantities(product_id: ObjectId, hold: Document) -> dict[ObjectId, int]:
    """What a hold marker took, per variant; markers written before variants name no
    variant and took from the product's default one."""
    by_variant = hold.get("variants")
    if isinstance(by_variant, dict):
        return {ObjectId(key): int(quantity) for key, quantity in by_variant.items()}
    return {product_id: int(hold["quantity"])}


def _still_there(product: Document, quantities: Quantities) -> dict[ObjectId, int]:
    """The quantities of the variants the product still has: a deleted variant's units
    leave the catalog with it."""
    return {vid: q for vid, q in quantities.items() if stored_variant(product, vid) is not None}


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

    async def _variants_of(
        self, product_id: ObjectId, extra: Iterable[str] = (), session: Session | None = None
    ) -> Document | None:
        projection = dict.fromkeys([*VARIANT_FIELDS, *extra], 1)
        return await self.collection.find_one({"_id": product_id}, projection, session=session)

    async def take(
        self,
        product: Document,
        order_key: str,
        quantities: Quantities,
        session: Session | None = None,
    ) -> Document | None:
        """Takes every quantity of `product`'s variants, or nothing; `product` as read
        before (with `VARIANT_FIELDS`). None when the product is missing or inactive, or a
        variant is gone or has fewer units than asked."""
        hold = {
            "quantity": sum(quantities.values()),
            "variants": {str(vid): q for vid, q in quantities.items()},
            "atMs": now_ms(),
        }
        for _ in range(VARIANT_RETRIES):
            update = stock_update(product, {vid: -q for vid, q in quantities.items()})
            if update is None:
                return None
            taken = await self.collection.find_one_and_update(
                {
                    "_id": product["_id"],
                    "active": {"$nin": INACTIVE_VALUES},
                    f"holds.{order_key}": {"$exists": False},
                    **update.conditions,
                },
                {
                    "$inc": update.increments,
                    "$set": {f"holds.{order_key}": hold},
                    "$currentDate": {"updatedAt": True},
                },
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if taken is not None:
                self.stock_changes.changed(taken)
                return taken
            current = await self._variants_of(product["_id"], session=session)
            if current is None or current.get(VARIANTS_VERSION) == product.get(VARIANTS_VERSION):
                return None  # short, inactive or already held: not a change of variants
            product = current
        return None

    async def release(
        self, product_id: ObjectId, order_key: str, session: Session | None = None
    ) -> bool:
        """Gives back what the hold marker took; False when there was no hold (already
        released or settled)."""
        marker = f"holds.{order_key}"
        for _ in range(VARIANT_RETRIES):
            # The whole of `holds`: some servers project no dotted path (the embedded one).
            product = await self._variants_of(product_id, ["holds"], session)
            hold = (product or {}).get("holds", {}).get(order_key)
            if product is None or not isinstance(hold, dict):
                return False
            quantities = _still_there(product, held_quantities(product_id, hold))
            update = stock_update(product, quantities) if quantities else None
            conditions, increments = (update.conditions, update.increments) if update else ({}, {})
            changes: Document = {"$unset": {marker: ""}, "$currentDate": {"updatedAt": True}}
            if increments:
                changes["$inc"] = increments
            released = await self.collection.find_one_and_update(
                {"_id": product_id, marker: {"$exists": True}, **conditions},
                changes,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if released is not None:
                self.stock_changes.changed(released)
                return True
        return False

    async def settle(
        self,
        product_ids: Iterable[ObjectId],
        order_key: str,
        session: Session | None = None,
    ) -> None:
        """The order exists now: its stock stays taken and the markers go."""
        await self.collection.update_many(
            {"_id": {"$in": list(product_ids)}},
            {"$unset": {f"holds.{order_key}": ""}},
            session=session,
        )

    async def unreturned(
        self, product_ids: Iterable[ObjectId], order_key: str
    ) -> dict[ObjectId, Document]:
        """Each product that has not taken this order's units back, as read now: its
        variants, and its return epoch (absent before any marker was removed); returned or
        deleted products are absent."""
        cursor = self.collection.find(
            {"_id": {"$in": list(product_ids)}, f"returns.{order_key}": {"$exists": False}},
            dict.fromkeys([*VARIANT_FIELDS, RETURNS_EPOCH], 1),
        )
        return {product["_id"]: product async for product in cursor}

    async def give_back(self, product: Document, order_key: str, quantities: Quantities) -> bool:
        """Returns a cancelled order's units of one product once; `product` as read by
        `unreturned`. False when they were already returned, when return markers were
        removed from the product since it was read, or when its variants changed since."""
        quantities = _still_there(product, quantities)
        update = stock_update(product, quantities) if quantities else None
        conditions, increments = (update.conditions, update.increments) if update else ({}, {})
        changes: Document = {
            "$set": {f"returns.{order_key}": now_ms()},
            "$currentDate": {"updatedAt": True},
        }
        if increments:
            changes["$inc"] = increments
        returned = await self.collection.find_one_and_update(
            {
                "_id": product["_id"],
                f"returns.{order_key}": {"$exists": False},
                # `None` matches a product without the field, as on every MongoDB.
                RETURNS_EPOCH: product.get(RETURNS_EPOCH),
                **conditions,
            },
            changes,
            return_document=ReturnDocument.AFTER,
        )
        self.stock_changes.changed(returned)
        return returned is not None

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

    async def stale_holds(self, older_than_ms: int) -> list[tuple[ObjectId, str]]:
        """(product, order key) of holds older than the cutoff."""
        stale = []
        async for product in self.collection.find(_any_marker("holds"), {"holds": 1}):
            for order_key, hold in (product.get("holds") or {}).items():
                if isinstance(hold, dict) and hold.get("atMs", 0) < older_than_ms:
                    stale.append((product["_id"], order_key))
        return stale
