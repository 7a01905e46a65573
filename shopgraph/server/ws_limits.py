"""The cap on WebSockets a client address may hold open (`SHOPGRAPH_MAX_WS_PER_CLIENT`).

Each socket costs the server a task, timers and a subscriber buffer; without a cap one
client could open thousands. The count is kept in memory, per server process: behind a
balancer with N processes, a client may hold up to N times the limit.

A client over the limit has its socket accepted and closed at once with 1013 "Try Again
Later" and a reason, before any protocol handler runs. Every client sees that code and
reason (a browser sees neither the status nor the body of a refused handshake), and
`graphql-ws` clients retry 1013 with backoff, as they should for a temporary limit; they
would give up on 1008 or 4429 ("Too many initialisation requests"). A refusal at the
handshake with HTTP 429 would suit non-browser clients, but uvicorn's default WebSocket
implementation logs an error for every such refusal.

Closing a socket, or losing it abruptly, frees its slot when its handler ends.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from starlette import status
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket


class WebSocketsPerClient:
    """Open sockets per client address. Used from the event loop only: admitting is a
    check and an increment with no await between them, so concurrent handshakes cannot
    both take the last slot."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}

    def open_from(self, address: str) -> int:
        return self._open.get(address, 0)

    @contextmanager
    def admit(self, address: str) -> Iterator[bool]:
        """Yields whether the client may open one more; an admitted socket holds its slot
        until the block ends, however it ends."""
        held = self._open.get(address, 0)
        if held >= self.limit:
            yield False
            return
        self._open[address] = held + 1
        try:
            yield True
        finally:
            left = self._open[address] - 1
            if left:
                self._open[address] = left
            else:
                del self._open[address]  # the table holds only clients with open sockets

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Accepts (with the client's first subprotocol: browsers fail a handshake that
        names none) and closes with 1013 and the reason."""
        websocket = WebSocket(scope, receive=receive, send=send)
        offered = scope.get("subprotocols") or []
        await websocket.accept(subprotocol=offered[0] if offered else None)
        await websocket.close(
            code=status.WS_1013_TRY_AGAIN_LATER,
            reason=f"Too many open WebSockets from your address (at most {self.limit})",
        )
