"""Closes the WebSockets of sessions that end, whichever process ended them.

Ending a session writes the user document (`auth.session_ends`). Every server process
looks, every `POLL_SECONDS`, for users whose sessions changed since its last look: one
indexed query per process, however many sockets are open, and none while no
authenticated socket is. Each socket of such a user whose session has now ended is
closed with 4403. A socket thus outlives its session by at most about `POLL_SECONDS`,
plus the query's time.

Each look reaches `OVERLAP_MS` further back than the previous one: the times are written
by whichever process ended the session, with its own clock and a moment before the write
is visible. Seeing a change twice is harmless.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bson import ObjectId

from shopgraph.auth.session_ends import session_has_ended
from shopgraph.clock import now_ms
from shopgraph.datasources.base import DatabaseError
from shopgraph.datasources.users import UsersDatasource
from shopgraph.documents import Document

logger = logging.getLogger("shopgraph.server")

POLL_SECONDS = 1.0
OVERLAP_MS = 5_000


@dataclass(eq=False, slots=True)
class WatchedSocket:
    """An authenticated socket: its session, and how to close it."""

    user_id: ObjectId
    session_id: str
    started_ms: int
    close: Callable[[], Awaitable[None]] = field(repr=False)


class SessionSockets:
    """This process's authenticated sockets, by user."""

    def __init__(self) -> None:
        self._by_user: dict[ObjectId, set[WatchedSocket]] = {}

    def __len__(self) -> int:
        return sum(len(sockets) for sockets in self._by_user.values())

    def add(self, socket: WatchedSocket) -> None:
        self._by_user.setdefault(socket.user_id, set()).add(socket)

    def discard(self, socket: WatchedSocket) -> None:
        sockets = self._by_user.get(socket.user_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._by_user[socket.user_id]

    def take_ended(self, user: Document) -> list[WatchedSocket]:
        """The user's sockets whose session has ended, no longer watched."""
        ended = [
            socket
            for socket in self._by_user.get(user["_id"], ())
            if session_has_ended(user, socket.session_id, socket.started_ms)
        ]
        for socket in ended:
            self.discard(socket)
        return ended


class SessionWatch:
    def __init__(self, users: UsersDatasource, sockets: SessionSockets) -> None:
        self.users = users
        self.sockets = sockets
        self._since_ms = now_ms()
        self._stopping = False

    def stop(self) -> None:
        """Ends `run` at its next step."""
        self._stopping = True

    async def run(self) -> None:
        failing = False
        while not self._stopping:
            try:
                await self.look()
                failing = False
            except DatabaseError as error:  # the next look starts from the same time
                if not failing:
                    logger.warning("cannot look for ended sessions (%s); retrying", error)
                failing = True
            except Exception:
                logger.exception("looking for ended sessions failed; retrying")
            await asyncio.sleep(POLL_SECONDS)

    async def look(self) -> None:
        """Closes the sockets of sessions ended since the last look."""
        started = now_ms()
        if not len(self.sockets):
            # A socket opened from now on is checked when it connects.
            self._since_ms = started
            return
        changed = await self.users.sessions_changed_since(self._since_ms - OVERLAP_MS)
        self._since_ms = started
        closing = [socket for user in changed for socket in self.sockets.take_ended(user)]
        await asyncio.gather(*(socket.close() for socket in closing), return_exceptions=True)
