"""The `login_attempts` collection: failed logins per email, shared by every server process."""

from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from shopgraph.datasources.base import CollectionDatasource


class LoginAttemptsDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("email", ASCENDING), ("at", ASCENDING)], name="email_at"),
        IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0),
    )

    async def begin(self, email: str, window: timedelta) -> tuple[ObjectId, int]:
        """Records an attempt before the password is checked, and returns it with the
        number of attempts in the window, itself included. Counting after recording makes
        concurrent guesses count each other: N parallel attempts cannot all see "0 so far".
        """
        now = datetime.now(UTC)
        result = await self.collection.insert_one(
            {"email": email, "at": now, "expiresAt": now + window}
        )
        # Counted by time, not left to the TTL monitor, which runs about once a minute.
        recent = await self.collection.count_documents(
            {"email": email, "at": {"$gt": now - window}}
        )
        return result.inserted_id, recent

    async def forget(self, attempt_id: ObjectId) -> None:
        """An attempt that was refused unchecked does not extend the lock-out."""
        await self.collection.delete_one({"_id": attempt_id})

    async def clear(self, email: str) -> None:
        await self.collection.delete_many({"email": email})
