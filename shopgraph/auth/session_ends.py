"""Ending sessions: the one place that logout, password changes and resets, and refresh
token reuse go through, and the rule every request's access token is checked against.

A session ends in two stores. Its refresh tokens are revoked (it cannot be renewed), and
the user document records the end, so an access token of it is refused on its next
request and its WebSockets close (`server.session_watch`), not when the token expires.
The user document holds either a cut-off (every session that began before it, but the
one kept) or the session's id, kept only as long as an access token of it could live:
it stays small, and it is read with the user on every authenticated request anyway.

Refresh tokens are revoked first: a crash in between leaves a session that can no longer
be renewed, never one whose end was recorded and then forgotten.
"""

from dataclasses import dataclass
from datetime import timedelta

from bson import ObjectId

from shopgraph.clock import now_ms
from shopgraph.datasources.refresh_tokens import RefreshTokensDatasource
from shopgraph.datasources.users import EndedSessions, UsersDatasource
from shopgraph.documents import Document


def session_has_ended(user: Document, session_id: str, started_ms: int) -> bool:
    """Whether the user document says the session has ended. A session that began at the
    very millisecond of a cut-off survives it: it began once the password had changed."""
    ended = EndedSessions.of(user)
    if session_id in ended.until_ms:
        return True
    return (
        ended.before_ms is not None and started_ms < ended.before_ms and (session_id != ended.kept)
    )


@dataclass(frozen=True, slots=True)
class SessionEnds:
    """One per process (`services`), shared by everything that ends sessions."""

    users: UsersDatasource
    refresh_tokens: RefreshTokensDatasource
    tokens_accepted_for: timedelta  # how long after now a token issued now may be accepted

    async def end(self, user_id: ObjectId, session_id: str) -> None:
        """Ends one session (logout, a replayed refresh token)."""
        await self.refresh_tokens.revoke_family(session_id)
        until = now_ms() + int(self.tokens_accepted_for.total_seconds() * 1000)
        await self.users.end_session(user_id, session_id, until)

    async def end_all(self, user_id: ObjectId, except_session: str | None = None) -> None:
        """Ends every session of the user that has begun, but `except_session` (the one
        that changed the password keeps going). Sessions begun from now on are not touched."""
        await self.refresh_tokens.revoke_user_families(user_id, except_family=except_session)
        await self.users.end_sessions_before(user_id, now_ms(), except_session)
