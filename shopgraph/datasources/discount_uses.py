"""The `discount_uses` collection: one document per order that used a discount code.

`_id` is the order's id, so an order uses a code at most once and giving the use back is
deleting that one document: exactly once, whoever tries how often. A use of a code with a
usage limit holds a `slot` below the limit, unique per code; a use of a code with a
per-customer limit holds a `customerSlot` below it, unique per code and customer. Those
two unique indexes keep the limits under any race: no two uses hold the same slot, so no
more uses exist than slots (see `checkout.discount_uses`).

`codeId` is stored as its hex string: the embedded server matches ObjectIds outside `_id`
only through `$in` and neither counts nor groups them; strings match, count and group
alike on every MongoDB.
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import Enum

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document


class Clash(Enum):
    """Which unique key refused a use."""

    ORDER = "ORDER"  # the order has a use already
    SLOT = "SLOT"  # another use holds the slot
    CUSTOMER_SLOT = "CUSTOMER_SLOT"  # another use of the customer holds the customer slot


def _clash(error: DuplicateKeyError) -> Clash:
    """MongoDB names the key in `keyPattern`; the embedded server only in its message,
    where it names the index by its fields."""
    details = error.details or {}
    pattern = details.get("keyPattern")
    named = " ".join(pattern) if isinstance(pattern, dict) else str(details.get("errmsg", ""))
    if "customerSlot" in named:
        return Clash.CUSTOMER_SLOT
    if "slot" in named:
        return Clash.SLOT
    return Clash.ORDER


class DiscountUsesDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel(
            [("codeId", ASCENDING), ("slot", ASCENDING)],
            name="codeId_slot_unique",
            unique=True,
            partialFilterExpression={"slot": {"$type": "number"}},
        ),
        IndexModel(
            [("codeId", ASCENDING), ("customer", ASCENDING), ("customerSlot", ASCENDING)],
            name="codeId_customer_customerSlot_unique",
            unique=True,
            partialFilterExpression={"customerSlot": {"$type": "number"}},
        ),
        # Counting a code's uses, and one customer's.
        IndexModel([("codeId", ASCENDING), ("customer", ASCENDING)], name="codeId_customer"),
    )

    async def insert(
        self,
        order_id: ObjectId,
        code_id: ObjectId,
        customer: str,
        slot: int | None,
        customer_slot: int | None,
        taken_at: datetime,
    ) -> Clash | None:
        """Records the use (slots only where the code has limits); None when it was
        recorded, else the key that refused it."""
        document: Document = {
            "_id": order_id,
            "codeId": str(code_id),
            "customer": customer,
            "takenAt": taken_at,
        }
        if slot is not None:
            document["slot"] = slot
        if customer_slot is not None:
            document["customerSlot"] = customer_slot
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError as error:
            return _clash(error)
        return None

    async def of_order(self, order_id: ObjectId) -> Document | None:
        return await self.collection.find_one({"_id": order_id})

    async def delete(self, order_id: ObjectId) -> bool:
        """True for the one call that removed the use."""
        result = await self.collection.delete_one({"_id": order_id})
        return result.deleted_count == 1

    async def count(self, code_id: ObjectId, customer: str | None = None) -> int:
        filter_: Document = {"codeId": str(code_id)}
        if customer is not None:
            filter_["customer"] = customer
        return await self.collection.count_documents(filter_)

    async def counts(self, code_ids: Collection[ObjectId]) -> dict[ObjectId, int]:
        """How many uses each code has, in one query (codes without uses count 0)."""
        keys = {str(code_id): code_id for code_id in code_ids}
        if not keys:
            return {}
        cursor = await self.collection.aggregate(
            [
                {"$match": {"codeId": {"$in": list(keys)}}},
                {"$group": {"_id": "$codeId", "uses": {"$sum": 1}}},
            ]
        )
        counted = {group["_id"]: group["uses"] async for group in cursor}
        return {code_id: counted.get(key, 0) for key, code_id in keys.items()}

    async def slots(self, code_id: ObjectId, customer: str | None = None) -> set[int]:
        """The slots the code's uses hold, or the customer slots of one customer's uses."""
        filter_: Document = {"codeId": str(code_id)}
        field = "slot"
        if customer is not None:
            filter_["customer"] = customer
            field = "customerSlot"
        cursor = self.collection.find(filter_, {field: 1})
        return {use[field] async for use in cursor if isinstance(use.get(field), int)}

    async def of_code(self, code_id: ObjectId) -> list[Document]:
        """Every use of the code, with its customer and slots."""
        cursor = self.collection.find(
            {"codeId": str(code_id)}, {"customer": 1, "slot": 1, "customerSlot": 1}
        )
        return await cursor.to_list()

    async def move(self, moves: Sequence[tuple[Document, str, int]]) -> int:
        """Moves each use to another slot (`field` "slot" or "customerSlot"), only while it
        still holds the one it was read with. Returns how many did not move: their new slot
        was taken, or the use moved or went, meanwhile."""
        if not moves:
            return 0
        updates = [
            UpdateOne(
                {"_id": use["_id"], field: use.get(field, {"$exists": False})},
                {"$set": {field: to}},
            )
            for use, field, to in moves
        ]
        try:
            result = await self.collection.bulk_write(updates, ordered=False)
        except BulkWriteError as error:
            moved = error.details.get("nModified", 0)
        else:
            moved = result.modified_count
        return len(moves) - moved
