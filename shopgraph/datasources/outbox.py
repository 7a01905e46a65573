"""The `outbox` collection: emails to send, written in the same step as what they announce.

A sender claims a message with a lease; if it dies, the lease runs out and another sender
takes it over. Times are epoch milliseconds so every server compares them the same way.
"""

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.datasources.keyset import Document
from shopgraph.datasources.stock_holds import now_ms

PENDING, SENDING, SENT, FAILED = "PENDING", "SENDING", "SENT", "FAILED"


class OutboxDatasource(CollectionDatasource):
    INDEXES = (IndexModel([("status", ASCENDING), ("dueMs", ASCENDING)], name="status_due"),)

    async def enqueue(self, message_id: str, message: Document) -> bool:
        """Idempotent: the id names the message, so enqueuing it twice keeps one."""
        try:
            await self.collection.insert_one(
                {**message, "_id": message_id, "status": PENDING, "attempts": 0, "dueMs": now_ms()}
            )
        except DuplicateKeyError:
            return False
        return True

    async def claim(self, lease_ms: int) -> Document | None:
        """The next message due, or one whose sender's lease ran out."""
        now = now_ms()
        return await self.collection.find_one_and_update(
            {"status": {"$in": [PENDING, SENDING]}, "dueMs": {"$lte": now}},
            {"$set": {"status": SENDING, "dueMs": now + lease_ms}, "$inc": {"attempts": 1}},
            sort=[("dueMs", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    async def mark_sent(self, message_id: str) -> None:
        await self.collection.update_one(
            {"_id": message_id}, {"$set": {"status": SENT, "sentAtMs": now_ms()}}
        )

    async def retry_later(self, message_id: str, delay_ms: int, error: str) -> None:
        await self.collection.update_one(
            {"_id": message_id},
            {"$set": {"status": PENDING, "dueMs": now_ms() + delay_ms, "lastError": error}},
        )

    async def give_up(self, message_id: str, error: str) -> None:
        await self.collection.update_one(
            {"_id": message_id}, {"$set": {"status": FAILED, "lastError": error}}
        )
