"""WebSocket protocol handlers.

A socket lives no longer than the access token it was opened with: at the token's
expiry it is closed with 4403, and the client reconnects with a fresh token. Rights are
read again at each subscription's start, so this also bounds how long a demoted admin
keeps a live view of hidden products.

The legacy `graphql-ws` protocol also gets the `connection_init` deadline that Strawberry
applies only to `graphql-transport-ws`: an idle, unauthenticated socket is closed.
"""

import asyncio
import contextlib
from datetime import UTC, datetime

from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)

from shopgraph.resolvers.context import Context

INIT_TIMEOUT_CODE = 4408  # the code graphql-transport-ws uses for the same thing
TOKEN_EXPIRED_CODE = 4403  # as for a bad token in `connection_init`
TOKEN_EXPIRED_REASON = "Access token expired"


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class _ClosesAtTokenExpiry:
    """Both protocols' handlers: watch the token once the connection is acknowledged."""

    context: Context
    websocket: AsyncWebSocketAdapter
    connection_acknowledged: bool
    _token_expiry: asyncio.Task[None] | None = None

    def _watch_token_expiry(self) -> None:
        claims = self.context.viewer.claims
        if self.connection_acknowledged and claims is not None and self._token_expiry is None:
            self._token_expiry = asyncio.create_task(self._close_at(claims.expires_at))

    async def _close_at(self, expires_at: datetime) -> None:
        await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()))
        await self.websocket.close(code=TOKEN_EXPIRED_CODE, reason=TOKEN_EXPIRED_REASON)


class TransportWSHandler(_ClosesAtTokenExpiry, BaseGraphQLTransportWSHandler[Context, None]):
    async def handle(self) -> None:
        try:
            await super().handle()
        finally:
            await _cancel(self._token_expiry)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        self._watch_token_expiry()


class LegacyWSHandler(_ClosesAtTokenExpiry, BaseGraphQLWSHandler[Context, None]):
    async def handle(self) -> None:
        deadline = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
        finally:
            await _cancel(deadline)
            await _cancel(self._token_expiry)

    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        self._watch_token_expiry()

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.context.settings.ws_connection_init_timeout_seconds)
        if not self.connection_acknowledged:
            await self.websocket.close(
                code=INIT_TIMEOUT_CODE, reason="Connection initialisation timeout"
            )
