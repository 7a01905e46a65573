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

from starlette import status
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from shopgraph.slots import SlotsPerKey


class WebSocketsPerClient:
    """Open sockets per client address; `slots.hold(address)` admits one."""

    def __init__(self, limit: int) -> None:
        self.slots = SlotsPerKey(limit)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Accepts (with the client's first subprotocol: browsers fail a handshake that
        names none) and closes with 1013 and the reason."""
        websocket = WebSocket(scope, receive=receive, send=send)
        offered = scope.get("subprotocols") or []
        await websocket.accept(subprotocol=offered[0] if offered else None)
        await websocket.close(
            code=status.WS_1013_TRY_AGAIN_LATER,
            reason=f"Too many open WebSockets from your address (at most {self.slots.limit})",
        )
