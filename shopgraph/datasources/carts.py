"""The `carts` collection: what shoppers mean to buy, before any stock is taken.

A cart's `_id` is a random string of 128 bits or more: for a guest it is the only key
to the cart. Every change is a compare-and-set on `version`, so two tabs adding lines
at once both count; the caller reads, computes the new cart and writes it back.

`expiresAt` moves on with every change; a TTL index deletes carts past it, and reads
leave them out before MongoDB's TTL monitor (which runs once a minute) gets to them.
`openFor` is set only on a customer's open cart, so a unique index keeps it to one each.
"""

from collections.abc import Sequence
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document


class CustomerHasOpenCart(Exception):
    """The customer already has an open cart; there is one per customer."""


class CartsDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0),
        IndexModel(
            [("openFor", ASCENDING)],
            name="openFor_unique",
            unique=True,
            partialFilterExpression={"openFor": {"$type": "objectId"}},
        ),
    )

    async def insert(self, cart: Document) -> None:
        """Raises CustomerHasOpenCart when the cart is a customer's and they have one."""
        try:
            await self.collection.insert_one(cart)
        except DuplicateKeyError as error:
            raise CustomerHasOpenCart(cart.get("openFor")) from error

    async def by_id(self, cart_id: str, now: datetime) -> Document | None:
        return await self.collection.find_one({"_id": cart_id, "expiresAt": {"$gt": now}})

    async def open_of(self, user_id: ObjectId, now: datetime) -> Document | None:
        return await self.collection.find_one(
            {"openFor": {"$in": [user_id]}, "expiresAt": {"$gt": now}}
        )

    async def open_of_users(
        self, user_ids: Sequence[ObjectId], now: datetime
    ) -> dict[ObjectId, Document]:
        cursor = self.collection.find(
            {"openFor": {"$in": list(user_ids)}, "expiresAt": {"$gt": now}}
        )
        return {cart["openFor"]: cart async for cart in cursor}

    async def replace_if(
        self, cart: Document, changes: Document, removed: Sequence[str] = ()
    ) -> Document | None:
        """Writes the cart with `changes` (and without `removed`) only if it is still at the
        version it was read at, moving it to the next; returns the cart as written, or None
        when someone changed it first (or it is gone). Raises CustomerHasOpenCart when the
        change would give a customer a second open cart.

        The whole document is replaced: the embedded server stores dates given to `$set` as
        strings, and `find_one_and_update` hides a duplicate key there."""
        version = cart["version"]
        written = {key: value for key, value in cart.items() if key not in removed}
        written.update(changes, version=version + 1)
        try:
            result = await self.collection.replace_one(
                {"_id": cart["_id"], "version": version}, written
            )
        except DuplicateKeyError as error:
            raise CustomerHasOpenCart(changes.get("openFor")) from error
        return written if result.modified_count == 1 else None
