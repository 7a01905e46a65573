"""The `users` collection: accounts, unique by normalized email."""

import re
from dataclasses import dataclass

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import utc_now
from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document


class EmailTaken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class UserQuery:
    search: str | None = None

    def to_filter(self) -> Document:
        if not self.search:
            return {}
        pattern = {"$regex": re.escape(self.search), "$options": "i"}
        return {"$or": [{"email": pattern}, {"name": pattern}]}


class UsersDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("email", ASCENDING)], name="email_unique", unique=True),
        IndexModel([("createdAt", ASCENDING)], name="createdAt"),
    )

    async def create(self, email: str, name: str, password_hash: str, role: str) -> Document:
        """Raises EmailTaken: the unique index decides, so concurrent sign-ups cannot both win."""
        now = utc_now()
        document: Document = {
            "email": email,
            "name": name,
            "role": role,
            "passwordHash": password_hash,
            "createdAt": now,
            "updatedAt": now,
        }
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError as error:
            raise EmailTaken(email) from error
        return document

    async def by_email(self, email: str) -> Document | None:
        return await self.collection.find_one({"email": email})

    async def update(self, user_id: ObjectId, changes: Document) -> Document | None:
        return await self.collection.find_one_and_update(
            {"_id": user_id},
            {"$set": changes, "$currentDate": {"updatedAt": True}},
            return_document=ReturnDocument.AFTER,
        )

    async def set_password_hash(self, user_id: ObjectId, password_hash: str) -> Document | None:
        return await self.update(user_id, {"passwordHash": password_hash})

    async def mark_email_verified(self, user_id: ObjectId, email: str) -> Document | None:
        """Only while the account still has `email`, the address that proved itself."""
        return await self.collection.find_one_and_update(
            {"_id": user_id, "email": email},
            {"$currentDate": {"emailVerifiedAt": True, "updatedAt": True}},
            return_document=ReturnDocument.AFTER,
        )

    async def set_role(self, user_id: ObjectId, role: str) -> Document | None:
        return await self.update(user_id, {"role": role})

    async def replace_password_hash(self, user_id: ObjectId, old: str, new: str) -> None:
        """Only if the hash is still the one verified: a concurrent password change wins."""
        await self.collection.update_one(
            {"_id": user_id, "passwordHash": old}, {"$set": {"passwordHash": new}}
        )
