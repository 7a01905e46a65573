"""The `users` collection: accounts, unique by normalized email."""

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from shopgraph.datasources.keyset import Document, Page, PageRequest, fetch_page

INDEXES = [
    IndexModel([("email", ASCENDING)], name="email_unique", unique=True),
    IndexModel([("createdAt", ASCENDING)], name="createdAt"),
]


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


class UsersDatasource:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_indexes(INDEXES)

    async def create(self, email: str, name: str, password_hash: str, role: str) -> Document:
        """Raises EmailTaken: the unique index decides, so concurrent sign-ups cannot both win."""
        now = datetime.now(UTC)
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

    async def by_ids(
        self, ids: Iterable[ObjectId], fields: Collection[str] | None
    ) -> dict[ObjectId, Document]:
        projection = None if fields is None else dict.fromkeys(fields, 1)
        cursor = self.collection.find({"_id": {"$in": list(ids)}}, projection)
        return {document["_id"]: document async for document in cursor}

    async def page(
        self, query: UserQuery, request: PageRequest, fields: Collection[str] | None
    ) -> Page:
        return await fetch_page(self.collection, query.to_filter(), request, fields)

    async def count(self, query: UserQuery) -> int:
        return await self.collection.count_documents(query.to_filter())

    async def update(self, user_id: ObjectId, changes: Document) -> Document | None:
        return await self.collection.find_one_and_update(
            {"_id": user_id},
            {"$set": changes, "$currentDate": {"updatedAt": True}},
            return_document=ReturnDocument.AFTER,
        )

    async def replace_password_hash(self, user_id: ObjectId, old: str, new: str) -> None:
        """Only if the hash is still the one verified: a concurrent password change wins."""
        await self.collection.update_one(
            {"_id": user_id, "passwordHash": old}, {"$set": {"passwordHash": new}}
        )
