"""The `orders` collection: what customers bought, at what price, and where it stands.

Which statuses a read may see is the caller's to say (`checkout.order_states` holds
them): this module stores and matches, it does not decide.

`userId` is matched with `$in` and counted with `find`: the embedded server matches
ObjectIds outside `_id` only in that form (and not at all in `count_documents`); on
MongoDB both are the same query.
"""

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.datasources.keyset import Page, PageRequest, fetch_pages_by
from shopgraph.documents import Document


class DuplicateIdempotencyKey(Exception):
    pass


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """Orders in `status`, or in any status but `hidden` when `status` is None."""

    hidden: str
    user_id: ObjectId | None = None
    status: str | None = None

    def to_filter(self) -> Document:
        filter_: Document = {}
        if self.user_id is not None:
            filter_["userId"] = {"$in": [self.user_id]}
        filter_["status"] = self.status if self.status is not None else {"$ne": self.hidden}
        return filter_


class OrdersDatasource(CollectionDatasource):
    INDEXES = (
        # A retried placeOrder finds its first attempt; the index makes racing retries safe.
        IndexModel(
            [("userId", ASCENDING), ("idempotencyKey", ASCENDING)],
            name="user_idempotencyKey_unique",
            unique=True,
            partialFilterExpression={"idempotencyKey": {"$type": "string"}},
        ),
        IndexModel(
            [("number", ASCENDING)],
            name="number_unique_when_set",
            unique=True,
            partialFilterExpression={"number": {"$type": "number"}},
        ),
        IndexModel([("userId", ASCENDING)], name="userId"),
        IndexModel([("createdAt", ASCENDING)], name="createdAt"),
        IndexModel([("status", ASCENDING), ("holdExpiresAt", ASCENDING)], name="status_hold"),
        # A customer's unpaid orders and their units, counted as each new one is placed.
        IndexModel([("userId", ASCENDING), ("status", ASCENDING)], name="user_status"),
        IndexModel([("guestEmail", ASCENDING), ("status", ASCENDING)], name="guestEmail_status"),
        # A cart is checked out into one order: racing checkouts of it insert one.
        IndexModel(
            [("cartId", ASCENDING)],
            name="cartId_unique",
            unique=True,
            partialFilterExpression={"cartId": {"$type": "string"}},
        ),
        # A guest finds their order by its token, which is stored hashed.
        IndexModel(
            [("tokenHash", ASCENDING)],
            name="tokenHash_unique",
            unique=True,
            partialFilterExpression={"tokenHash": {"$type": "string"}},
        ),
    )

    async def insert(self, order: Document, session: AsyncClientSession | None = None) -> None:
        """Raises DuplicateIdempotencyKey when this user already used the key, or the cart
        the order comes from already has one."""
        try:
            await self.collection.insert_one(order, session=session)
        except DuplicateKeyError as error:
            # Order numbers come from a counter, and tokens are random.
            claim = order.get("idempotencyKey") or order.get("cartId")
            if claim is not None:
                raise DuplicateIdempotencyKey(claim) from error
            raise

    async def set_if(
        self,
        order_id: ObjectId,
        status: str,
        changes: Document,
        session: AsyncClientSession | None = None,
    ) -> bool:
        """Sets `changes` only while the order is in `status`; False when it no longer is."""
        result = await self.collection.update_one(
            {"_id": order_id, "status": status}, {"$set": changes}, session=session
        )
        return result.modified_count == 1

    async def delete_if(self, order_id: ObjectId, status: str) -> bool:
        """Deletes the order only while it is in `status`; False when it no longer is."""
        result = await self.collection.delete_one({"_id": order_id, "status": status})
        return result.deleted_count == 1

    async def in_status_before(self, status: str, created_before: datetime) -> list[Document]:
        cursor = self.collection.find({"status": status, "createdAt": {"$lt": created_before}})
        return await cursor.to_list()

    async def by_id(self, order_id: ObjectId, hidden: str) -> Document | None:
        return await self.collection.find_one({"_id": order_id, "status": {"$ne": hidden}})

    async def by_ids_except(
        self, order_ids: Sequence[ObjectId], hidden: str
    ) -> dict[ObjectId, Document]:
        """One `find` for many ids; missing and hidden orders are absent."""
        cursor = self.collection.find({"_id": {"$in": list(order_ids)}, "status": {"$ne": hidden}})
        return {order["_id"]: order async for order in cursor}

    async def by_idempotency_key(self, user_id: ObjectId, key: str) -> Document | None:
        return await self.collection.find_one({"userId": {"$in": [user_id]}, "idempotencyKey": key})

    async def count(self, query: OrderQuery) -> int:  # type: ignore[override]
        if query.user_id is None:
            return await self.collection.count_documents(query.to_filter())
        return len(await self.collection.find(query.to_filter(), {"_id": 1}).to_list())

    async def pages_by_user(
        self,
        query: OrderQuery,
        user_ids: Collection[ObjectId],
        request: PageRequest,
        fields: Collection[str] | None,
    ) -> dict[ObjectId, Page]:
        """The page `request` of each user's orders matching `query` (whose `user_id` is
        not used), read together: one `find` for users with ordinary histories."""
        pages = await fetch_pages_by(
            self.collection, "userId", user_ids, query.to_filter(), request, fields
        )
        return {user_id: pages[user_id] for user_id in user_ids}

    async def counts_by_user(
        self, query: OrderQuery, user_ids: Collection[ObjectId]
    ) -> dict[ObjectId, int]:
        """How many orders matching `query` (whose `user_id` is not used) each user has,
        from one `find` of their ids (counted here, as `count` does for one user)."""
        filter_ = {**query.to_filter(), "userId": {"$in": list(user_ids)}}
        orders = await self.collection.find(filter_, {"userId": 1}).to_list()
        counted = Counter(order["userId"] for order in orders)
        return {user_id: counted[user_id] for user_id in user_ids}

    async def transition(
        self,
        order_id: ObjectId,
        from_statuses: Sequence[str],
        to_status: str,
        changes: Document | None = None,
        stamp: Sequence[str] = (),
    ) -> Document | None:
        """Moves an order between statuses atomically: of racing callers only one wins.

        `stamp` names date fields set to the server's clock (`$currentDate`).
        """
        return await self.collection.find_one_and_update(
            {"_id": order_id, "status": {"$in": list(from_statuses)}},
            {
                "$set": {**(changes or {}), "status": to_status},
                "$currentDate": dict.fromkeys(["updatedAt", *stamp], True),
            },
            return_document=ReturnDocument.AFTER,
        )

    async def update(self, order_id: ObjectId, changes: Document) -> None:
        await self.collection.update_one(
            {"_id": order_id}, {"$set": changes, "$currentDate": {"updatedAt": True}}
        )

    async def next_payment_attempt(self, order_id: ObjectId) -> None:
        """Racing bumps may skip a number: attempts need only be new, not consecutive."""
        await self.collection.update_one({"_id": order_id}, {"$inc": {"paymentAttempt": 1}})

    async def line_quantities_of_user(
        self, user_id: ObjectId, statuses: Sequence[str], at_most: int
    ) -> list[list[int]]:
        """The quantity of each line of the user's orders in `statuses`, one list per order,
        for no more than `at_most` orders (enough to tell whether a limit is exceeded)."""
        filter_ = {"userId": {"$in": [user_id]}, "status": {"$in": list(statuses)}}
        # Whole lines: the embedded server projects `items.quantity` as nothing at all.
        cursor = self.collection.find(filter_, {"_id": 0, "items": 1}, limit=at_most)
        return [[item["quantity"] for item in order["items"]] async for order in cursor]

    async def line_quantities_of_guest(
        self, email: str, statuses: Sequence[str], at_most: int
    ) -> list[list[int]]:
        """As `line_quantities_of_user`, for the guest orders to one email."""
        filter_ = {"guestEmail": email, "status": {"$in": list(statuses)}}
        cursor = self.collection.find(filter_, {"_id": 0, "items": 1}, limit=at_most)
        return [[item["quantity"] for item in order["items"]] async for order in cursor]

    async def by_cart(self, cart_id: str) -> Document | None:
        return await self.collection.find_one({"cartId": cart_id})

    async def by_token_hash(self, token_hash: str, hidden: str) -> Document | None:
        return await self.collection.find_one({"tokenHash": token_hash, "status": {"$ne": hidden}})

    async def held_past(
        self, status: str, now: datetime, limit: int, after: Document | None = None
    ) -> list[Document]:
        """Up to `limit` orders in `status` whose hold expired by `now`, oldest hold first,
        each with `_id` and `holdExpiresAt`. Pass the last one as `after` for the next batch:
        pages by position, so an order that stays in `status` is never read twice."""
        filter_: Document = {"status": status, "holdExpiresAt": {"$lte": now}}
        if after is not None:
            expiry = after["holdExpiresAt"]
            filter_["$or"] = [
                {"holdExpiresAt": {"$gt": expiry}},
                {"holdExpiresAt": expiry, "_id": {"$gt": after["_id"]}},
            ]
        cursor = self.collection.find(
            filter_,
            {"_id": 1, "holdExpiresAt": 1},
            sort=[("holdExpiresAt", ASCENDING), ("_id", ASCENDING)],
            limit=limit,
        )
        return await cursor.to_list()

    async def needing(
        self,
        field: str,
        value: str,
        statuses: Sequence[str] | None = None,
        cancelled_before_ms: int | None = None,
        limit: int = 100,
    ) -> list[Document]:
        """Orders whose follow-up step (`stockReturn`, `confirmation`) was left unfinished.
        The age is part of the query, so young orders cannot crowd old ones out of `limit`."""
        filter_: Document = {field: value}
        if statuses is not None:
            filter_["status"] = {"$in": list(statuses)}
        if cancelled_before_ms is not None:
            filter_["cancelledAtMs"] = {"$lt": cancelled_before_ms}
        return await self.collection.find(filter_, limit=limit).to_list()

    async def status_of(self, order_key: str) -> str | None:
        """The order's status, or None when there is no such order."""
        if not ObjectId.is_valid(order_key):
            return None
        order = await self.collection.find_one({"_id": ObjectId(order_key)}, {"status": 1})
        return None if order is None else str(order["status"])
