"""The `skus` collection: which product holds each SKU, its own or one of its variants'.

Variant SKUs live in an array, and a unique index on an array field is not enforced
everywhere (the embedded server ignores it) and never within one document, so each SKU
is claimed here instead: `_id` is the SKU, and its uniqueness decides between racing
claims on every MongoDB.
"""

from collections.abc import Iterable
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import utc_now
from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document


class SkusDatasource(CollectionDatasource):
    INDEXES = (IndexModel([("productId", ASCENDING)], name="productId"),)

    async def claim(self, sku: str, product_id: ObjectId) -> Document | None:
        """Claims the SKU for the product; returns another product's claim on it
        (`productId`, `claimedAt`), or None when the claim holds."""
        for _ in range(3):
            try:
                claim = {"_id": sku, "productId": product_id, "claimedAt": utc_now()}
                await self.collection.insert_one(claim)
                return None
            except DuplicateKeyError:
                pass
            holder = await self.collection.find_one({"_id": sku})
            if holder is not None:
                return None if holder["productId"] == product_id else holder
            # released meanwhile: claim again
        raise RuntimeError(f"the claim on SKU {sku!r} kept changing")

    async def take_over(
        self, sku: str, holder: Document, product_id: ObjectId, claimed_before: datetime
    ) -> bool:
        """Moves a claim that `holder` made before `claimed_before` to the product; of racing
        takers one wins."""
        result = await self.collection.update_one(
            {
                "_id": sku,
                "productId": holder["productId"],
                # Claims recorded by a migration carry no date: they are old.
                "$or": [
                    {"claimedAt": {"$lt": claimed_before}},
                    {"claimedAt": {"$exists": False}},
                ],
            },
            {"$set": {"productId": product_id, "claimedAt": utc_now()}},
        )
        return result.modified_count == 1

    async def release(self, skus: Iterable[str], product_id: ObjectId) -> None:
        """Gives up the product's claims on these SKUs; others' claims stay."""
        await self.collection.delete_many({"_id": {"$in": list(skus)}, "productId": product_id})

    async def release_all(self, product_id: ObjectId) -> None:
        await self.collection.delete_many({"productId": product_id})

    async def register(self, claims: Iterable[tuple[str, ObjectId]]) -> list[str]:
        """Records (SKU, product) claims of products written without them; returns the
        SKUs another product holds already."""
        documents = [
            {"_id": sku, "productId": product_id, "claimedAt": utc_now()}
            for sku, product_id in claims
        ]
        return [refused["_id"] for refused in await self.insert_new(documents)]

    async def delete_all(self) -> None:
        await self.collection.delete_many({})
