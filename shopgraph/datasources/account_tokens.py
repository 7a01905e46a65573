"""The `account_tokens` collection: one-time tokens that a user receives by email (password
reset, email verification), stored only as their SHA-256 hash.

A token is used by deleting it with a filter that also checks its purpose and expiry: one
atomic conditional write, so of two concurrent uses exactly one gets the document. Expired
tokens are refused by that filter and removed by the TTL index (which runs about once a
minute). `userId` is matched with `$in`: the embedded server matches ObjectIds outside
`_id` only in that form, which MongoDB treats the same as equality.
"""

from datetime import UTC, datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document


class AccountTokensDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("tokenHash", ASCENDING)], name="tokenHash_unique", unique=True),
        IndexModel([("userId", ASCENDING), ("purpose", ASCENDING)], name="userId_purpose"),
        IndexModel([("expiresAt", ASCENDING)], name="expiresAt_ttl", expireAfterSeconds=0),
    )

    async def issue(
        self, token_hash: str, purpose: str, user_id: ObjectId, email: str, expires_at: datetime
    ) -> ObjectId:
        """`email`: the address the token was sent to; it is good only while the account
        still has that address."""
        result = await self.collection.insert_one(
            {
                "tokenHash": token_hash,
                "purpose": purpose,
                "userId": user_id,
                "email": email,
                "createdAt": datetime.now(UTC),
                "expiresAt": expires_at,
            }
        )
        return result.inserted_id

    async def find_live(self, token_hash: str, purpose: str) -> Document | None:
        """The token if it exists and has not expired; it stays usable."""
        return await self.collection.find_one(
            {"tokenHash": token_hash, "purpose": purpose, "expiresAt": {"$gt": datetime.now(UTC)}}
        )

    async def use(self, token_id: ObjectId) -> bool:
        """Deletes a live token found earlier; False if another use (or its expiry) came first."""
        result = await self.collection.delete_one(
            {"_id": token_id, "expiresAt": {"$gt": datetime.now(UTC)}}
        )
        return result.deleted_count == 1

    async def use_live(self, token_hash: str, purpose: str) -> Document | None:
        """Finds and deletes a live token in one step; None if it is unknown, used or expired."""
        return await self.collection.find_one_and_delete(
            {"tokenHash": token_hash, "purpose": purpose, "expiresAt": {"$gt": datetime.now(UTC)}}
        )

    async def revoke(self, user_id: ObjectId, purpose: str) -> None:
        """Every unused token of the user for this purpose stops working."""
        await self.collection.delete_many({"userId": {"$in": [user_id]}, "purpose": purpose})
