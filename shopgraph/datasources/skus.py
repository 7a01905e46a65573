"""The `skus` collection: which product holds each SKU, its own or one of its variants'.

Variant SKUs live in an array, and a unique index on an array field is not enforced
everywhere (the embedded server ignores it) and never within one document, so each SKU
is claimed here instead: `_id` is the SKU, and its uniqueness decides between racing
claims on every MongoDB. Claims carry the time they were made in epoch milliseconds
(`claimedAtMs`); those a migration recorded carry none, and count as old.

The embedded server matches an ObjectId outside `_id` only through `$in`, so product ids
are matched that way here (as on every MongoDB).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import now_ms
from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document


@dataclass(frozen=True, slots=True)
class Claim:
    """How claiming went: `made` when this call recorded it, `holder` the other product's
    claim that stood in the way (None: the SKU is the product's)."""

    made: bool = False
    holder: Document | None = None


class SkusDatasource(CollectionDatasource):
    INDEXES = (IndexModel([("productId", ASCENDING)], name="productId"),)

    async def claim(self, sku: str, product_id: ObjectId) -> Claim:
        """Claims the SKU for the product, unless another product holds it."""
        for _ in range(3):
            try:
                claim = {"_id": sku, "productId": product_id, "claimedAtMs": now_ms()}
                await self.collection.insert_one(claim)
                return Claim(made=True)
            except DuplicateKeyError:
                pass
            holder = await self.collection.find_one({"_id": sku})
            if holder is not None:
                return Claim() if holder["productId"] == product_id else Claim(holder=holder)
            # released meanwhile: claim again
        raise RuntimeError(f"the claim on SKU {sku!r} kept changing")

    async def take_over(
        self, sku: str, holder: Document, product_id: ObjectId, claimed_before_ms: int
    ) -> bool:
        """Moves a claim that `holder` made before `claimed_before_ms` to the product; of
        racing takers one wins."""
        result = await self.collection.update_one(
            {
                "_id": sku,
                "productId": {"$in": [holder["productId"]]},
                "$or": [
                    {"claimedAtMs": {"$lt": claimed_before_ms}},
                    {"claimedAtMs": {"$exists": False}},
                ],
            },
            {"$set": {"productId": product_id, "claimedAtMs": now_ms()}},
        )
        return result.modified_count == 1

    async def release(self, skus: Iterable[str], product_id: ObjectId) -> None:
        """Gives up the product's claims on these SKUs; others' claims stay."""
        await self.collection.delete_many(
            {"_id": {"$in": list(skus)}, "productId": {"$in": [product_id]}}
        )

    async def release_all(self, product_id: ObjectId) -> None:
        await self.collection.delete_many({"productId": {"$in": [product_id]}})

    async def register(self, claims: Iterable[tuple[str, ObjectId]]) -> list[str]:
        """Records (SKU, product) claims of products written without them; returns the
        SKUs another product holds already."""
        documents = [
            {"_id": sku, "productId": product_id, "claimedAtMs": now_ms()}
            for sku, product_id in claims
        ]
        return [refused["_id"] for refused in await self.insert_new(documents)]

    async def delete_all(self) -> None:
        await self.collection.delete_many({})
