"""The `mail_quota` collection: how many emails of one kind went to one address lately, so
that no one can use the store to flood a mailbox. One document per (kind, address).

Each step is one conditional write on that document, so concurrent requests (from any
number of server processes) never both take the last slot. Times are epoch milliseconds:
the embedded server does not compare dates written by updates as dates.
"""

from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import now_ms
from shopgraph.datasources.base import CollectionDatasource

# A document outlives every window it counts: removing it only starts its count afresh.
FORGET_AFTER = timedelta(days=1)


class MailQuotaDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel(
            [("createdAt", ASCENDING)],
            name="createdAt_ttl",
            expireAfterSeconds=int(FORGET_AFTER.total_seconds()),
        ),
    )

    async def take(self, key: str, spacing: timedelta, window: timedelta, limit: int) -> bool:
        """Takes a slot: True when the last one was taken at least `spacing` ago and fewer
        than `limit` were taken in the window that started with the first of them."""
        now = now_ms()
        spacing_ms = int(spacing.total_seconds() * 1000)
        window_ms = int(window.total_seconds() * 1000)
        spaced = {"_id": key, "nextMs": {"$lte": now}}
        in_window = await self.collection.update_one(
            {**spaced, "windowStartMs": {"$gt": now - window_ms}, "count": {"$lt": limit}},
            {"$inc": {"count": 1}, "$set": {"nextMs": now + spacing_ms}},
        )
        if in_window.matched_count:
            return True
        new_window = await self.collection.update_one(
            {**spaced, "windowStartMs": {"$lte": now - window_ms}},
            {"$set": {"windowStartMs": now, "count": 1, "nextMs": now + spacing_ms}},
        )
        if new_window.matched_count:
            return True
        try:  # the first slot ever; a document that exists means no slot is free now
            await self.collection.insert_one(
                {
                    "_id": key,
                    "windowStartMs": now,
                    "count": 1,
                    "nextMs": now + spacing_ms,
                    "createdAt": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            return False
        return True
