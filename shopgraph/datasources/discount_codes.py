"""The `discount_codes` collection: the codes admins create, and their terms.

A code is stored as typed (`code`) and by its key (`codeKey`, trimmed and upper-case) under
a unique index, so "ten" and "TEN" are one code however two admins race to create them.
`value` is an integer whose unit depends on `kind`: hundredths of a percent for
PERCENTAGE (1000 is 10 %), minor units of the store currency for FIXED_AMOUNT, 0 for
FREE_SHIPPING. Money is in minor units, dates are UTC. `version` counts the writes, so an
update applies only to the code as it was read.
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
        document: Document = {
            "_id": ObjectId(),
            **fields,
            "createdAt": now,
            "updatedAt": now,
            "version": 1,
        }
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError as error:
            raise CodeTaken(fields.get("codeKey")) from error
        return document

    async def update(
        self, current: Document, changes: Mapping[str, object], removed: set[str]
    ) -> Document | None:
        """The code as `current` with `changes` set and `removed` gone, written only while
        it is still as it was read (its `version`); None when it changed or went meanwhile.
        Raises CodeTaken when the new key is another code's.

        The whole document is replaced rather than `$set`: the embedded server stores dates
        written by `$set` as strings (and answers a `findAndModify` that breaks a unique
        index with no document instead of an error)."""
        version = current.get("version")
        document = {key: value for key, value in current.items() if key not in removed}
        document.update(changes)
        document.update(updatedAt=utc_now(), version=(version or 0) + 1)
        filter_ = {"_id": current["_id"], "version": version or {"$exists": False}}
        try:
            result = await self.collection.replace_one(filter_, document)
        except DuplicateKeyError as error:
            raise CodeTaken(changes.get("codeKey")) from error
        return document if result.matched_count == 1 else None

    async def delete(self, code_id: ObjectId) -> bool:
        result = await self.collection.delete_one({"_id": code_id})
        return result.deleted_count == 1

    async def by_id(self, code_id: ObjectId) -> Document | None:
        return await self.collection.find_one({"_id": code_id})

    async def by_key(self, key: str) -> Document | None:
        return await self.collection.find_one({"codeKey": key})
