"""The `product_images` collection: what each image is, where its files are, in what order
a product shows them.

One document per image:
    {_id, productId, slot: "<product id>/<n>", position, altText, name, format, width,
     height, hasAlpha, size, digest, blob, renditions: {"<width>-<ext>": {blob, size}},
     createdAt, updatedAt}
`slot` is unique: a product has at most `max_images` slots, so concurrent uploads can never
give it more images than that. `renditions` is a sub-document keyed by rendition, and a
rendition is recorded only while its key is absent, so each is stored once however many
processes make it at the same time.

Embedded server: ObjectIds outside `_id` are matched with `$in` only (see
EMBEDDED-MONGODB.md), and a unique index over an ObjectId field refuses distinct values
there, hence the slot is a string.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import utc_now
from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document

ORDER = [("position", ASCENDING), ("_id", ASCENDING)]


def slot_of(product_id: ObjectId, number: int) -> str:
    return f"{product_id}/{number}"


class ProductImagesDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("slot", ASCENDING)], name="slot_unique", unique=True),
        IndexModel([("productId", ASCENDING)], name="productId"),
    )

    async def insert(self, document: Document) -> bool:
        """False when its slot is taken: another upload got there first."""
        now = utc_now()
        try:
            await self.collection.insert_one({**document, "createdAt": now, "updatedAt": now})
        except DuplicateKeyError:
            return False
        return True

    async def of_products(self, product_ids: Iterable[ObjectId]) -> dict[ObjectId, list[Document]]:
        """Each product's images in display order, in one query (for DataLoaders)."""
        found: dict[ObjectId, list[Document]] = defaultdict(list)
        cursor = self.collection.find({"productId": {"$in": list(product_ids)}}, sort=ORDER)
        async for document in cursor:
            found[document["productId"]].append(document)
        return found

    async def of_product(self, product_id: ObjectId) -> list[Document]:
        return (await self.of_products([product_id])).get(product_id, [])

    async def one(self, image_id: ObjectId) -> Document | None:
        return await self.collection.find_one({"_id": image_id})

    async def set_alt_text(self, image_id: ObjectId, alt_text: str | None) -> Document | None:
        return await self.collection.find_one_and_update(
            {"_id": image_id},
            {"$set": {"altText": alt_text}, "$currentDate": {"updatedAt": True}},
            return_document=ReturnDocument.AFTER,
        )

    async def set_positions(self, positions: Mapping[ObjectId, int]) -> None:
        if positions:
            await self.collection.bulk_write(
                [
                    UpdateOne({"_id": image_id}, {"$set": {"position": position}})
                    for image_id, position in positions.items()
                ],
                ordered=False,
            )

    async def add_rendition(self, image_id: ObjectId, key: str, blob: str, size: int) -> bool:
        """Records a rendition unless one is recorded already; False then, or when the image
        is gone."""
        result = await self.collection.update_one(
            {"_id": image_id, f"renditions.{key}": {"$exists": False}},
            {"$set": {f"renditions.{key}": {"blob": blob, "size": size}}},
        )
        return result.modified_count == 1

    async def delete(self, image_id: ObjectId) -> Document | None:
        """The deleted image, or None when there was none."""
        return await self.collection.find_one_and_delete({"_id": image_id})

    async def delete_of_product(self, product_id: ObjectId) -> list[Document]:
        """Deletes the product's images; returns those deleted."""
        found = await self.of_product(product_id)
        if found:
            await self.collection.delete_many({"_id": {"$in": [doc["_id"] for doc in found]}})
        return found

    async def delete_all(self) -> None:
        await self.collection.delete_many({})
