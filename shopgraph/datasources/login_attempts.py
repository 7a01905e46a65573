"""The `login_attempts` collection: failed logins per email, shared by every server process."""

from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection

from shopgraph.datasources.keyset import Document

INDEXES = [
    IndexModel([("email", ASCENDING), ("at", ASCENDING)], name="email_at"),
    IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0),
]


class LoginAttemptsDatasource:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes(INDEXES)

    async def record_failure(self, email: str, window: timedelta) -> None:
        now = datetime.now(UTC)
        await self.collection.insert_one({"email": email, "at": now, "expiresAt": now + window})

    async def recent_failures(self, email: str, window: timedelta) -> int:
        """Counted by time, not by TTL: the TTL monitor only runs about once a minute."""
        since = datetime.now(UTC) - window
        return await self.collection.count_documents({"email": email, "at": {"$gt": since}})

    async def clear(self, email: str) -> None:
        await self.collection.delete_many({"email": email})
