"""The `variant_images` collection: which of its product's images a variant shows.

One document per variant that has an image, keyed by the variant's id, so a variant has
one image at most whatever races: `{_id: <variant id>, productId, imageId}`. A variant
deleted later leaves its entry behind, harmlessly: nothing reads it.
"""

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shopgraph.datasources.base import CollectionDatasource


class VariantImagesDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("imageId", ASCENDING)], name="imageId"),
        IndexModel([("productId", ASCENDING)], name="productId"),
    )

    async def set(self, variant_id: ObjectId, product_id: ObjectId, image_id: ObjectId) -> None:
        """An update, else an insert, else (another set inserted meanwhile) an update: the
        embedded server's upserts do not keep the filter's ObjectId `_id` (a replacement
        gets a new one, a `$set` its text), so no upsert is used."""
        chosen = {"productId": product_id, "imageId": image_id}
        for _ in range(2):
            updated = await self.collection.update_one({"_id": variant_id}, {"$set": chosen})
            if updated.matched_count:
                return
            try:
                await self.collection.insert_one({"_id": variant_id, **chosen})
            except DuplicateKeyError:
                continue
            return

    async def clear(self, variant_id: ObjectId) -> None:
        await self.collection.delete_one({"_id": variant_id})

    async def forget_image(self, image_id: ObjectId) -> None:
        # $in: the embedded server matches ObjectIds outside `_id` no other way.
        await self.collection.delete_many({"imageId": {"$in": [image_id]}})

    async def forget_product(self, product_id: ObjectId) -> None:
        await self.collection.delete_many({"productId": {"$in": [product_id]}})

    async def delete_all(self) -> None:
        await self.collection.delete_many({})
