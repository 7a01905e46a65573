"""WebSocket protocol handlers.

A socket lives no longer than the access token it was opened with: at the token's
expiry it is closed with 4403, and the client reconnects with a fresh token. Rights are
read again at each subscription's start, so this also bounds how long a demoted admin
keeps a live view of hidden products. Nor does it outlive the token's session: when the
session ends (logout, a password change or reset, a replayed refresh token) the socket
is closed with 4403 within seconds (`server.session_watch`).

The legacy `graphql-ws` protocol also gets what Strawberry applies only to
`graphql-transport-ws`: the `connection_init` deadline (an idle, unauthenticated socket is
closed) and one `connection_init` per socket (a second could swap the token mid-stream).

Both check each message's shape first and close with 4400 when it is unusable: Strawberry
indexes into messages as if they were well formed, and fails inside its handler if not.
"""

import asyncio
import contextlib
from datetime import UTC, datetime
from types import NoneType
from typing import Any, Protocol

from bson import ObjectId
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.async_base_view import AsyncWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage as LegacyConnectionInitMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import OperationMessage

from shopgraph.resolvers.context import Context
from shopgraph.resolvers.stock_updates import SHARED_STOCK_STREAM
from shopgraph.server.fanout import Outbox, SharedSubscription
from shopgraph.server.going_away import OpenSockets
from shopgraph.server.session_watch import SessionSockets, WatchedSocket

INIT_TIMEOUT_CODE = 4408  # the code graphql-transport-ws uses for the same thing
TOKEN_EXPIRED_CODE = 4403  # as for a bad token in `connection_init`
TOKEN_EXPIRED_REASON = "Access token expired"
SESSION_ENDED_CODE = 4403  # the same: the client must log in again for a new token
SESSION_ENDED_REASON = "Session ended"
REPEATED_INIT_CODE = 4429  # graphql-transport-ws's "Too many initialisation requests"
BAD_MESSAGE_CODE = 4400  # graphql-transport-ws's code for an invalid message
OPERATION_MESSAGES = ("subscribe", "complete", "start", "stop")
PAYLOAD_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "variables": ((dict, NoneType), "an object"),
    "operationName": ((str, NoneType), "a string"),
    "extensions": ((dict, NoneType), "an object"),
}


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def message_problem(message: object) -> str | None:
    """What makes a client message unusable, checked before Strawberry indexes into it.

    Messages are JSON objects with a string `type`; operations have a string `id`, and
    a subscribe/start carries a `payload` shaped like a GraphQL-over-HTTP request body.
    """
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be a JSON object with a string `type`."
    kind = message["type"]
    if kind in OPERATION_MESSAGES and not isinstance(message.get("id"), str):
        return f"A `{kind}` message needs a string `id`."
    if kind in ("subscribe", "start"):
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return f"A `{kind}` message needs a `payload` object with a string `query`."
        for name, (kinds, described) in PAYLOAD_FIELDS.items():
            if not isinstance(payload.get(name), kinds):
                return f"`payload.{name}` must be {described} or null."
    if kind == "connection_init" and not isinstance(message.get("payload"), (dict, NoneType)):
        return "The `connection_init` payload must be an object."
    return None


async def _close(websocket: AsyncWebSocketAdapter, code: int, reason: str) -> None:
    """From a timer: the client may have gone already, which is no error of ours."""
    with contextlib.suppress(Exception):
        await websocket.close(code=code, reason=reason)


class _WatchesSessions(Protocol):
    session_sockets: SessionSockets
    open_sockets: OpenSockets


class _ClosesWhenTheTokenEnds:
    """Both protocols' handlers: once the connection is acknowledged, close it at the
    token's expiry or when its session ends, whichever comes first."""

    view: _WatchesSessions
    context: Context
    websocket: AsyncWebSocketAdapter
    connection_acknowledged: bool
    _token_expiry: asyncio.Task[None] | None = None
    _watched: WatchedSocket | None = None

    def _watch_token(self) -> None:
        claims = self.context.viewer.claims
        if not self.connection_acknowledged or claims is None or self._token_expiry is not None:
            return
        self._token_expiry = asyncio.create_task(self._close_at(claims.expires_at))
        self._watched = WatchedSocket(
            ObjectId(claims.user_id), claims.session_id, claims.session_started_ms, self._end
        )
        self.view.session_sockets.add(self._watched)

    async def _close_at(self, expires_at: datetime) -> None:
        await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()))
        await _close(self.websocket, TOKEN_EXPIRED_CODE, TOKEN_EXPIRED_REASON)

    async def _end(self) -> None:
        await _close(self.websocket, SESSION_ENDED_CODE, SESSION_ENDED_REASON)

    async def _stop_watching(self) -> None:
        if self._watched is not None:
            self.view.session_sockets.discard(self._watched)
        await _cancel(self._token_expiry)


class TransportWSHandler(_ClosesWhenTheTokenEnds, BaseGraphQLTransportWSHandler[Context, None]):
    """`stockUpdated` subscriptions share their events' payloads (`server.fanout`)."""

    _outbox: Outbox | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._detached: dict[str, SharedSubscription] = {}

    async def handle(self) -> None:
        self.view.open_sockets.add(self.websocket)
        try:
            await super().handle()
        finally:
            self.view.open_sockets.discard(self.websocket)
            await self._stop_watching()
            if self._outbox is not None:
                await self._outbox.close()

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Runs in the operation's own task, so the shared stream is this operation's.

        Strawberry's pipeline runs in a task of its own. When the operation is a shared
        `stockUpdated` subscription that has joined its group, the subscription is kept
        here instead and the pipeline is closed: an idle subscriber then costs its group
        membership, not a suspended operation. Errors before that (bad IDs, limits, a
        refused document) reach the client through the pipeline as before."""
        if self._outbox is None:
            self._outbox = Outbox(self._send_text)
        shared = SharedSubscription(
            self.context.request.app.state.shared_subscriptions,
            self._outbox,
            operation.id,
            operation.query,
            operation.operation_name,
            operation.variables,
        )
        SHARED_STOCK_STREAM.set(shared)  # the pipeline's task starts with a copy of it
        pipeline = asyncio.create_task(super().run_operation(operation))
        try:
            await asyncio.wait({pipeline, shared.joined()}, return_when=asyncio.FIRST_COMPLETED)
            if not pipeline.done() and operation.id in self.operations:
                shared.detach()
                self._detached[operation.id] = shared
        finally:
            if pipeline.done():
                pipeline.result()  # its exceptions, as when it ran in this task
            else:
                pipeline.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pipeline

    async def cleanup_operation(self, operation_id: str) -> None:
        """A completed operation, or every one when the socket ends; a detached shared
        subscription leaves its group."""
        shared = self._detached.pop(operation_id, None)
        if shared is not None:
            shared.leave()
        await super().cleanup_operation(operation_id)

    async def _send_text(self, message: str) -> None:
        assert isinstance(self.websocket, ShopgraphWebSocketAdapter)
        await self.websocket.send_text(message)

    async def handle_message(self, message: Message) -> None:
        problem = message_problem(message)
        if problem is not None:
            await self.handle_invalid_message(problem)  # closes with 4400
            return
        if message["type"] == "connection_init" and message.get("payload", {}) is None:
            message = {"type": "connection_init"}  # the protocol allows a null payload
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        self._watch_token()


class LegacyWSHandler(_ClosesWhenTheTokenEnds, BaseGraphQLWSHandler[Context, None]):
    async def handle(self) -> None:
        self.view.open_sockets.add(self.websocket)
        deadline = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
        finally:
            self.view.open_sockets.discard(self.websocket)
            await _cancel(deadline)
            await self._stop_watching()

    async def handle_message(self, message: OperationMessage) -> None:
        problem = message_problem(message)
        if problem is not None:
            await _close(self.websocket, BAD_MESSAGE_CODE, problem)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: LegacyConnectionInitMessage) -> None:
        if self.connection_acknowledged:
            await _close(self.websocket, REPEATED_INIT_CODE, "Too many initialisation requests")
            return
        await super().handle_connection_init(message)
        self._watch_token()

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.context.settings.ws_connection_init_timeout_seconds)
        if not self.connection_acknowledged:
            await _close(self.websocket, INIT_TIMEOUT_CODE, "Connection initialisation timeout")


MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: a close frame's payload is 125 bytes, 2 for the code


def fit_close_reason(reason: str) -> str:
    """Strawberry puts client text in close reasons ("Unknown message type: ..."); a reason
    too long for a close frame would fail the close itself."""
    encoded = reason.encode()
    if len(encoded) <= MAX_CLOSE_REASON_BYTES:
        return reason
    return encoded[: MAX_CLOSE_REASON_BYTES - 3].decode(errors="ignore") + "..."


class ShopgraphWebSocketAdapter(ASGIWebSocketAdapter):
    async def send_text(self, message: str) -> None:
        """A message already encoded (a shared subscription payload with its id)."""
        await self.ws.send_text(message)

    async def close(self, code: int, reason: str) -> None:
        await super().close(code, fit_close_reason(reason))
