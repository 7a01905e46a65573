"""A process that shuts down closes its WebSockets with 1001 "Going Away" and a reason.

Left to itself, uvicorn closes every socket at shutdown with 1012 ("Service Restart")
and no reason. Shopgraph closes them first, with 1001 and a reason that says what to do:
`graphql-ws` clients take 1001 as a normal close of a server going away and reconnect,
and behind a balancer they reach another process. A socket that opens while the
process is shutting down is accepted and closed the same way, before any protocol
handler runs (as `ws_limits` refuses one over its client's cap).
"""

import asyncio
import contextlib
import logging

from starlette import status
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.http.async_base_view import AsyncWebSocketAdapter

logger = logging.getLogger("shopgraph.server")

GOING_AWAY_CODE = status.WS_1001_GOING_AWAY
GOING_AWAY_REASON = "Server shutting down; reconnect"
CLOSE_SECONDS = 1.0  # for all the close frames together; uvicorn drops what is left


class OpenSockets:
    """The WebSockets this process's protocol handlers serve, from start to end."""

    def __init__(self) -> None:
        self._sockets: set[AsyncWebSocketAdapter] = set()
        self.closing = False

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, websocket: AsyncWebSocketAdapter) -> None:
        self._sockets.add(websocket)

    def discard(self, websocket: AsyncWebSocketAdapter) -> None:
        self._sockets.discard(websocket)

    async def close_all(self) -> None:
        """Closes every socket with 1001 and the reason; from now on new ones are refused.
        Their handlers end as their clients answer the close."""
        self.closing = True
        sockets = list(self._sockets)
        if not sockets:
            return
        logger.info("closing %d WebSocket(s) with %d: shutting down", len(sockets), GOING_AWAY_CODE)
        closes = [_close(websocket) for websocket in sockets]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closes), CLOSE_SECONDS)

    @staticmethod
    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        """Accepts (with the client's first subprotocol: browsers fail a handshake that
        names none) and closes with 1001 and the reason."""
        websocket = WebSocket(scope, receive=receive, send=send)
        offered = scope.get("subprotocols") or []
        await websocket.accept(subprotocol=offered[0] if offered else None)
        await websocket.close(code=GOING_AWAY_CODE, reason=GOING_AWAY_REASON)


async def _close(websocket: AsyncWebSocketAdapter) -> None:
    """The client may have gone already, or the handler closed the socket itself."""
    with contextlib.suppress(Exception):
        await websocket.close(GOING_AWAY_CODE, GOING_AWAY_REASON)
