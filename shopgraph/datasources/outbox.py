"""The `outbox` collection: emails to send, written in the same step as what they announce.

A sender claims a message with a lease; if it dies, the lease runs out and another sender
takes it over. Times are epoch milliseconds so every server compares them the same way.
"""

import uuid

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import now_ms
from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document

PENDING, SENDING, SENT, FAILED = "PENDING", "SENDING", "SENT", "FAILED"
REDACTED = "(removed once the message was settled: it carried a one-time code)"


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
        """The next message due, or one whose sender's lease ran out.

        The claim carries a fresh `lease` token; the outcome is recorded only under that
        token, so a sender that outlived its lease cannot undo its successor's delivery.
        """
        now = now_ms()
        return await self.collection.find_one_and_update(
            {"status": {"$in": [PENDING, SENDING]}, "dueMs": {"$lte": now}},
            {
                "$set": {"status": SENDING, "dueMs": now + lease_ms, "lease": uuid.uuid4().hex},
                "$inc": {"attempts": 1},
            },
            sort=[("dueMs", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    async def _settle(self, claimed: Document, changes: Document) -> None:
        await self.collection.update_one(
            {"_id": claimed["_id"], "status": SENDING, "lease": claimed["lease"]},
            {"$set": changes},
        )

    async def mark_sent(self, claimed: Document) -> None:
        await self._settle(claimed, {"status": SENT, "sentAtMs": now_ms(), **_redacted(claimed)})

    async def retry_later(self, claimed: Document, delay_ms: int, error: str) -> None:
        await self._settle(
            claimed, {"status": PENDING, "dueMs": now_ms() + delay_ms, "lastError": error}
        )

    async def give_up(self, claimed: Document, error: str) -> None:
        await self._settle(claimed, {"status": FAILED, "lastError": error, **_redacted(claimed)})

    async def count_unsent(self) -> int:
        """Messages waiting to be sent or being sent: the backlog."""
        return await self.collection.count_documents({"status": {"$in": [PENDING, SENDING]}})

    async def count_given_up(self) -> int:
        return await self.collection.count_documents({"status": FAILED})


def _redacted(message: Document) -> Document:
    """A message marked `redact` (it carries a one-time code, which the database otherwise
    keeps only hashed) loses its body once it is sent or given up."""
    if not message.get("redact"):
        return {}
    return {"text": REDACTED, "html": None}
