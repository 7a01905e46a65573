"""The `tax_rates` collection: one rate per country, or per region of a country.

A rate's `_id` is its readable key, "US" for a country or "US:CA" for a region, so the
`_id` index makes it one per (country, region) on every MongoDB. The rate is stored as an
integer of parts per million of the price (8.25 % is 82500): exact, and no float.
"""

import secrets

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document

_PUT_TRIES = 3


class TaxRatesDatasource(CollectionDatasource):
    async def put(self, key: str, fields: Document, parts_per_million: int) -> str | None:
        """Sets the rate of `key`, creating it with `fields` if it is new. Returns the
        creation's token when this call created it (see `take_back`), else None."""
        token = secrets.token_hex(8)
        for _ in range(_PUT_TRIES):
            try:
                result = await self.collection.update_one(
                    {"_id": key},
                    {
                        "$set": {"ratePpm": parts_per_million},
                        "$setOnInsert": {**fields, "creation": token},
                    },
                    upsert=True,
                )
            except DuplicateKeyError:  # two upserts of a new key raced; it exists now
                continue
            return token if result.upserted_id is not None else None
        raise RuntimeError(f"the tax rate {key!r} could not be set")

    async def take_back(self, key: str, token: str) -> None:
        """Deletes the rate that the `put` which returned `token` created, unless it was
        deleted and created anew meanwhile."""
        await self.collection.delete_one({"_id": key, "creation": token})

    async def count_all(self) -> int:
        return await self.collection.count_documents({})

    async def delete(self, key: str) -> bool:
        result = await self.collection.delete_one({"_id": key})
        return result.deleted_count == 1

    async def by_keys(self, keys: list[str]) -> dict[str, Document]:
        cursor = self.collection.find({"_id": {"$in": keys}})
        return {document["_id"]: document async for document in cursor}

    async def first(self, limit: int) -> list[Document]:
        """By key: each country's own rate, then its regions'."""
        cursor = self.collection.find({}).sort([("_id", ASCENDING)]).limit(limit)
        return [document async for document in cursor]
