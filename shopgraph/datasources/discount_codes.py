"""The `discount_codes` collection: the codes admins create, and their terms.

A code is stored as typed (`code`) and by its key (`codeKey`, trimmed and upper-case) under
a unique index, so "ten" and "TEN" are one code however two admins race to create them.
`value` is an integer whose unit depends on `kind`: hundredths of a percent for
PERCENTAGE (1000 is 10 %), minor units of the store currency for FIXED_AMOUNT, 0 for
FREE_SHIPPING. Money is in minor units, dates are UTC.
"""

from collections.abc import Mapping

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import utc_now
from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document


class CodeTaken(Exception):
    """Another discount code has this key."""


class DiscountCodeQuery:
    """Every code: the admin listing has no filter yet."""

    def to_filter(self) -> Document:
        return {}


class DiscountCodesDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("codeKey", ASCENDING)], name="codeKey_unique", unique=True),
        # The admin listing, newest first (the sort adds `_id` to break ties).
        IndexModel([("createdAt", ASCENDING)], name="createdAt"),
    )

    async def create(self, fields: Mapping[str, object]) -> Document:
        """Raises CodeTaken when another code has the same key."""
        now = utc_now()
        document: Document = {"_id": ObjectId(), **fields, "createdAt": now, "updatedAt": now}
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError as error:
            raise CodeTaken(fields.get("codeKey")) from error
        return document

    async def update(
        self, code_id: ObjectId, changes: Mapping[str, object], removed: set[str]
    ) -> Document | None:
        """Sets `changes` and unsets `removed`; the code after it, or None when it is gone.
        Raises CodeTaken when the new key is another code's.

        `update_one` then a read, not `find_one_and_update`: the embedded server answers a
        `findAndModify` that breaks a unique index with no document instead of an error."""
        update: Document = {"$set": {**changes, "updatedAt": utc_now()}}
        if removed:
            update["$unset"] = dict.fromkeys(removed, "")
        try:
            result = await self.collection.update_one({"_id": code_id}, update)
        except DuplicateKeyError as error:
            raise CodeTaken(changes.get("codeKey")) from error
        return None if result.matched_count == 0 else await self.by_id(code_id)

    async def delete(self, code_id: ObjectId) -> bool:
        result = await self.collection.delete_one({"_id": code_id})
        return result.deleted_count == 1

    async def by_id(self, code_id: ObjectId) -> Document | None:
        return await self.collection.find_one({"_id": code_id})

    async def by_key(self, key: str) -> Document | None:
        return await self.collection.find_one({"codeKey": key})
