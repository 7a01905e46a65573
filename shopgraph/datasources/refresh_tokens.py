"""The `refresh_tokens` collection: hashed, single-use tokens grouped in families.

A family is one login and all its rotations (a session). Presenting a token twice means
it was stolen or replayed, so the whole family is revoked. Each record carries when its
session began (`sessionStartedMs`, epoch milliseconds), copied from rotation to rotation.

Times written by updates use `$currentDate` (the server's clock, stored as a date), and
`userId` is matched with `$in`: the embedded server matches ObjectIds outside `_id`
only in that form, which MongoDB treats the same as equality.
"""

from datetime import UTC, datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document


class RefreshTokensDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("tokenHash", ASCENDING)], name="tokenHash_unique", unique=True),
        IndexModel([("familyId", ASCENDING)], name="familyId"),
        IndexModel([("userId", ASCENDING)], name="userId"),
        # Expired records disappear on their own.
        IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0),
    )

    async def store(
        self,
        token_hash: str,
        family_id: str,
        user_id: ObjectId,
        expires_at: datetime,
        session_started_ms: int,
    ) -> None:
        await self.collection.insert_one(
            {
                "tokenHash": token_hash,
                "familyId": family_id,
                "userId": user_id,
                "sessionStartedMs": session_started_ms,
                "createdAt": datetime.now(UTC),
                "expiresAt": expires_at,
                "usedAt": None,
                "revokedAt": None,
            }
        )

    async def use(self, token_hash: str) -> Document | None:
        """Marks a live token used, atomically: of two concurrent uses only one succeeds."""
        return await self.collection.find_one_and_update(
            {
                "tokenHash": token_hash,
                "usedAt": None,
                "revokedAt": None,
                "expiresAt": {"$gt": datetime.now(UTC)},
            },
            {"$currentDate": {"usedAt": True}},
            return_document=ReturnDocument.AFTER,
        )

    @staticmethod
    def session_started_ms(record: Document) -> int:
        """Records stored before sessions had a start carry only their own creation."""
        started = record.get("sessionStartedMs")
        if isinstance(started, int):
            return started
        return int(record["createdAt"].timestamp() * 1000)

    async def find(self, token_hash: str) -> Document | None:
        return await self.collection.find_one({"tokenHash": token_hash})

    async def revoke_family(self, family_id: str) -> None:
        await self.collection.update_many(
            {"familyId": family_id, "revokedAt": None}, {"$currentDate": {"revokedAt": True}}
        )

    async def is_family_revoked(self, family_id: str) -> bool:
        found = await self.collection.find_one(
            {"familyId": family_id, "revokedAt": {"$ne": None}}, {"_id": 1}
        )
        return found is not None

    async def revoke_user_families(self, user_id: ObjectId, except_family: str | None) -> None:
        await self.collection.update_many(
            {"userId": {"$in": [user_id]}, "familyId": {"$ne": except_family}, "revokedAt": None},
            {"$currentDate": {"revokedAt": True}},
        )
