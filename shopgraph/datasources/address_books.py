"""The `address_books` collection: one document per customer, `_id` the user's id.

    {_id: user id, entries: {"<entry id>": {firstName: ..., country: "US", ...}},
     count: 2, defaultShipping: entry id or null, defaultBilling: entry id or null}

Every change is one update of that one document, so MongoDB applies it atomically: the
bound on entries is a condition on `count`, and a default is a single field, so a book has
at most one of each whatever requests race. Entries sit in a sub-document keyed by their
id rather than in an array, because the embedded server silently ignores updates inside
arrays (EMBEDDED-MONGODB.md); it also matches an ObjectId outside `_id` only through
`$in`, so the default fields are matched that way (as on every MongoDB). Books are
created by `insert_one`, never by an upsert, which the embedded server stores with a
string `_id`.
"""

from collections.abc import Collection, Mapping

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document

ENTRIES = "entries"
COUNT = "count"
DEFAULT_SHIPPING = "defaultShipping"
DEFAULT_BILLING = "defaultBilling"
DEFAULT_FIELDS = (DEFAULT_SHIPPING, DEFAULT_BILLING)

AFTER = ReturnDocument.AFTER


def _entry(entry_id: ObjectId) -> str:
    return f"{ENTRIES}.{entry_id}"


def _has_entry(user_id: ObjectId, entry_id: ObjectId) -> Document:
    return {"_id": user_id, _entry(entry_id): {"$exists": True}}


def _still(defaults: Mapping[str, ObjectId | None]) -> Document:
    """A filter on the default fields still holding these values (None: null or absent)."""
    return {name: {"$in": [value]} for name, value in defaults.items()}


class AddressBooksDatasource(CollectionDatasource):
    # Every query names the user, that is the book's `_id`: no other index.

    async def book(self, user_id: ObjectId) -> Document | None:
        return await self.collection.find_one({"_id": user_id})

    async def add_entry(
        self,
        user_id: ObjectId,
        entry_id: ObjectId,
        entry: Document,
        make_default: Collection[str],
        max_entries: int,
    ) -> Document | None:
        """The book with the entry added (and made the default of `make_default`); None
        when the book already holds `max_entries`. A customer's first entry starts the book."""
        update = {
            "$set": {_entry(entry_id): entry, **dict.fromkeys(make_default, entry_id)},
            "$inc": {COUNT: 1},
        }
        bounded = {"_id": user_id, COUNT: {"$lt": max_entries}}
        book = await self.collection.find_one_and_update(bounded, update, return_document=AFTER)
        if book is not None:
            return book
        new = {
            "_id": user_id,
            ENTRIES: {str(entry_id): entry},
            COUNT: 1,
            **dict.fromkeys(DEFAULT_FIELDS),
            **dict.fromkeys(make_default, entry_id),
        }
        try:
            await self.collection.insert_one(new)
            return new
        except DuplicateKeyError:
            pass  # the book exists: it is full, or another request has just started it
        return await self.collection.find_one_and_update(bounded, update, return_document=AFTER)

    async def change_entry(
        self,
        user_id: ObjectId,
        entry_id: ObjectId,
        entry: Document | None,
        make_default: Collection[str],
    ) -> Document | None:
        """The book with the entry replaced by `entry` (unless None) and made the default
        of `make_default`; None when the book has no such entry."""
        changes: Document = dict.fromkeys(make_default, entry_id)
        if entry is not None:
            changes[_entry(entry_id)] = entry
        if not changes:
            return await self.collection.find_one(_has_entry(user_id, entry_id))
        return await self.collection.find_one_and_update(
            _has_entry(user_id, entry_id), {"$set": changes}, return_document=AFTER
        )

    async def take_defaults(
        self, user_id: ObjectId, entry_id: ObjectId, seen: Mapping[str, ObjectId | None]
    ) -> Document | None:
        """Makes the entry the default of each field in `seen`, if the entry still exists
        and every one of those fields still holds what was seen; else None."""
        return await self.collection.find_one_and_update(
            {**_has_entry(user_id, entry_id), **_still(seen)},
            {"$set": dict.fromkeys(seen, entry_id)},
            return_document=AFTER,
        )

    async def give_up_default(
        self, user_id: ObjectId, entry_id: ObjectId, default: str
    ) -> Document | None:
        """Clears the default field if it names the entry; None if it no longer does."""
        return await self.collection.find_one_and_update(
            {"_id": user_id, **_still({default: entry_id})},
            {"$set": {default: None}},
            return_document=AFTER,
        )

    async def remove_entry(
        self, user_id: ObjectId, entry_id: ObjectId, seen: Mapping[str, ObjectId | None]
    ) -> bool:
        """Removes the entry and clears the defaults that name it, if the book's defaults
        are still those `seen`; False (nothing changed) if they or the entry are not."""
        update: Document = {"$unset": {_entry(entry_id): ""}, "$inc": {COUNT: -1}}
        cleared = [name for name, value in seen.items() if value == entry_id]
        if cleared:
            update["$set"] = dict.fromkeys(cleared)
        result = await self.collection.update_one(
            {**_has_entry(user_id, entry_id), **_still(seen)}, update
        )
        return result.modified_count == 1
