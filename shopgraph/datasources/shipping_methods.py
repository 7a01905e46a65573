"""The `shipping_methods` collection: what the store ships with, its price and its countries.

There are few methods (the service admits at most a hundred), so no query here needs an
index beyond `_id`. A boolean written with `$set` reads back as 0/1 on some servers (the
embedded one among them): `active` is matched in both forms and read back as a bool.
"""

from collections.abc import Iterable

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.datasources.products import INACTIVE_VALUES
from shopgraph.documents import Document

# Creation order: an ObjectId begins with the time it was made.
OLDEST_FIRST = [("_id", ASCENDING)]
CHEAPEST_FIRST = [("price", ASCENDING), ("_id", ASCENDING)]


def _read(document: Document) -> Document:
    document["active"] = document.get("active", True) not in INACTIVE_VALUES
    return document


class ShippingMethodsDatasource(CollectionDatasource):
    async def insert(self, document: Document) -> None:
        await self.collection.insert_one(document)

    async def count_all(self) -> int:
        return await self.collection.count_documents({})

    async def by_id(self, method_id: ObjectId) -> Document | None:
        document = await self.collection.find_one({"_id": method_id})
        return None if document is None else _read(document)

    async def many(self, method_ids: Iterable[ObjectId]) -> dict[ObjectId, Document]:
        cursor = self.collection.find({"_id": {"$in": list(method_ids)}})
        return {document["_id"]: _read(document) async for document in cursor}

    async def oldest(self, limit: int) -> list[Document]:
        cursor = self.collection.find({}).sort(OLDEST_FIRST).limit(limit)
        return [_read(document) async for document in cursor]

    async def active_shipping_to(self, country: str, limit: int) -> list[Document]:
        """Active methods whose countries include `country`, cheapest first."""
        filter_ = {"countries": country, "active": {"$nin": INACTIVE_VALUES}}
        cursor = self.collection.find(filter_).sort(CHEAPEST_FIRST).limit(limit)
        return [_read(document) async for document in cursor]

    async def update(
        self, method_id: ObjectId, expected: Document, changes: Document
    ) -> Document | None:
        """Applies `changes` while the method's fields still have the `expected` values;
        None when the method is gone or they changed meanwhile."""
        document = await self.collection.find_one_and_update(
            {"_id": method_id, **expected},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )
        return None if document is None else _read(document)

    async def delete(self, method_id: ObjectId) -> bool:
        result = await self.collection.delete_one({"_id": method_id})
        return result.deleted_count == 1
