"""The `login_attempts` collection: password checks by email and client address, shared by
every server process.

One document per check, recorded before the password is verified and kept while it counts
as a failure: `{email, client, at, expiresAt}`. A sign-up is recorded without an email
(`{client, at, expiresAt}`): it counts for its client only, and no right password clears
it. Counts are taken by time (`at`), not left to the TTL monitor, which runs about once a
minute and only tidies up.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from shopgraph.datasources.base import CollectionDatasource


@dataclass(frozen=True, slots=True)
class RecentAttempts:
    """Attempts within the window, the one just recorded included."""

    by_client: int  # from this client address, against any email
    by_client_for_email: int  # from this client address, against this email


class LoginAttemptsDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("client", ASCENDING), ("at", ASCENDING)], name="client_at"),
        IndexModel(
            [("email", ASCENDING), ("client", ASCENDING), ("at", ASCENDING)],
            name="email_client_at",
        ),
        IndexModel([("email", ASCENDING), ("at", ASCENDING)], name="email_at"),
        IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0),
    )

    async def begin(
        self, email: str, client: str, window: timedelta
    ) -> tuple[ObjectId, RecentAttempts]:
        """Records an attempt before the password is checked, then counts. Counting after
        recording makes concurrent guesses count each other: N parallel attempts cannot
        all see "0 so far"."""
        now = datetime.now(UTC)
        result = await self.collection.insert_one(
            {"email": email, "client": client, "at": now, "expiresAt": now + window}
        )
        since = {"$gt": now - window}
        by_client = await self.collection.count_documents({"client": client, "at": since})
        by_client_for_email = await self.collection.count_documents(
            {"email": email, "client": client, "at": since}
        )
        return result.inserted_id, RecentAttempts(by_client, by_client_for_email)

    async def begin_signup(self, client: str, window: timedelta) -> tuple[ObjectId, int]:
        """Records a sign-up by `client`, then counts the client's attempts within the
        window, this one included (as `begin` does, so concurrent sign-ups count each other)."""
        now = datetime.now(UTC)
        result = await self.collection.insert_one(
            {"client": client, "at": now, "expiresAt": now + window}
        )
        by_client = await self.collection.count_documents(
            {"client": client, "at": {"$gt": now - window}}
        )
        return result.inserted_id, by_client

    async def recent_for_email(self, email: str, window: timedelta) -> int:
        """Attempts against `email` from every client address within the window."""
        since = datetime.now(UTC) - window
        return await self.collection.count_documents({"email": email, "at": {"$gt": since}})

    async def forget(self, attempt_id: ObjectId) -> None:
        """An attempt refused before its check (or never checked) is no failure."""
        await self.collection.delete_one({"_id": attempt_id})

    async def clear(self, email: str, client: str) -> None:
        """The client's failures against `email`; other clients' failures stay."""
        await self.collection.delete_many({"email": email, "client": client})
