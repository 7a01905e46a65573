"""The `users` collection: accounts, unique by normalized email.

A user document also says which of the user's sessions have ended (`EndedSessions`), so
the check that rides on every authenticated request costs no query of its own. Those
times are epoch milliseconds: the embedded server stores a date written with `$set` as a
string.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import now_ms, utc_now
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


SESSIONS_ENDED_BEFORE = "sessionsEndedBeforeMs"
SESSION_KEPT = "sessionKept"
ENDED_SESSIONS = "endedSessions"  # {session id: epoch ms after which the entry can go}
SESSIONS_CHANGED = "sessionsChangedMs"  # when either of the above last changed
SESSION_FIELDS = (SESSIONS_ENDED_BEFORE, SESSION_KEPT, ENDED_SESSIONS)


@dataclass(frozen=True, slots=True)
class EndedSessions:
    """What a user document says about the user's ended sessions."""

    before_ms: int | None = None  # every session that began before this has ended...
    kept: str | None = None  # ...except this one (the session that changed the password)
    # Sessions ended one by one, each until every access token of it has expired.
    until_ms: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, user: Document) -> "EndedSessions":
        """Fields the document lacks (a user whose sessions never ended) mean nothing ended."""
        before = user.get(SESSIONS_ENDED_BEFORE)
        kept = user.get(SESSION_KEPT)
        ended = user.get(ENDED_SESSIONS)
        ended = ended if isinstance(ended, dict) else {}
        return cls(
            before_ms=before if isinstance(before, int) else None,
            kept=kept if isinstance(kept, str) else None,
            until_ms={sid: until for sid, until in ended.items() if isinstance(until, int)},
        )


class UsersDatasource(CollectionDatasource):
    INDEXES = (
        IndexModel([("email", ASCENDING)], name="email_unique", unique=True),
        IndexModel([("createdAt", ASCENDING)], name="createdAt"),
        # For every server process's look at sessions that ended (`sessions_changed_since`).
        IndexModel([(SESSIONS_CHANGED, ASCENDING)], name="sessionsChangedMs", sparse=True),
    )

    async def create(
        self, email: str, name: str, password_hash: str, role: str, *, verified: bool = False
    ) -> Document:
        """`verified`: the email counts as proven from the start. Raises EmailTaken: the
        unique index decides, so concurrent sign-ups cannot both win."""
        now = utc_now()
        document: Document = {
            "email": email,
            "name": name,
            "role": role,
            "passwordHash": password_hash,
            "createdAt": now,
            "updatedAt": now,
        }
        if verified:
            document["emailVerifiedAt"] = now
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

    async def end_sessions_before(
        self, user_id: ObjectId, before_ms: int, kept: str | None
    ) -> None:
        """Ends every session that began before `before_ms` except `kept`, in one atomic
        update. An older cut-off never replaces a newer one (a slow concurrent write
        could otherwise bring sessions back)."""
        changes: Document = {"$set": {SESSIONS_ENDED_BEFORE: before_ms}}
        if kept is None:
            changes["$unset"] = {SESSION_KEPT: ""}
        else:
            changes["$set"][SESSION_KEPT] = kept
        changes["$max"] = {SESSIONS_CHANGED: now_ms()}
        await self.collection.update_one(
            {
                "_id": user_id,
                "$or": [
                    {SESSIONS_ENDED_BEFORE: {"$exists": False}},
                    {SESSIONS_ENDED_BEFORE: {"$lte": before_ms}},
                ],
            },
            changes,
        )

    async def end_session(self, user_id: ObjectId, session_id: str, until_ms: int) -> None:
        """Records one ended session until `until_ms`, and forgets entries past theirs:
        the list holds only sessions whose access tokens may still be presented."""
        now = now_ms()
        user = await self.collection.find_one_and_update(
            {"_id": user_id},
            {"$max": {f"{ENDED_SESSIONS}.{session_id}": until_ms, SESSIONS_CHANGED: now}},
            projection={ENDED_SESSIONS: 1},
            return_document=ReturnDocument.AFTER,
        )
        if user is None:
            return
        stale = [sid for sid, until in EndedSessions.of(user).until_ms.items() if until <= now]
        if stale:
            # Only if each is still stale: a concurrent end may have just extended one.
            await self.collection.update_one(
                {
                    "_id": user_id,
                    "$and": [{f"{ENDED_SESSIONS}.{sid}": {"$lte": now}} for sid in stale],
                },
                {"$unset": {f"{ENDED_SESSIONS}.{sid}": "" for sid in stale}},
            )

    async def sessions_changed_since(self, since_ms: int) -> list[Document]:
        """Users whose ended sessions changed at or after `since_ms`: their session fields."""
        cursor = self.collection.find(
            {SESSIONS_CHANGED: {"$gte": since_ms}}, dict.fromkeys(SESSION_FIELDS, 1)
        )
        return await cursor.to_list()
