"""Refuses request bodies and WebSocket messages over a size limit, before anything parses
them: an HTTP body with 413, a WebSocket message by closing the socket with 1009.

A client that hangs up while sending its body gets nothing: there is no one to answer,
and it is not an error of the server's worth a traceback in the log.

Under `shopgraph serve` uvicorn refuses an oversized WebSocket frame or message itself,
from its header, before buffering it (`ws_max_size`); the check here holds the limit
under any ASGI server, once a message has arrived.
"""

from starlette.requests import ClientDisconnect
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MESSAGE_TOO_BIG = 1009  # RFC 6455
MESSAGE_TOO_BIG_REASON = "Message too big"
UTF8_MAX_BYTES_PER_CHAR = 4


class BodyTooLarge(Exception):
    pass


def message_size_over(message: Message, max_bytes: int) -> bool:
    """Whether a `websocket.receive` message is over `max_bytes`, text counted in UTF-8
    bytes; encodes only when the character count cannot tell."""
    data = message.get("bytes")
    if data is not None:
        return len(data) > max_bytes
    text = message.get("text") or ""
    if len(text) > max_bytes:
        return True
    if len(text) * UTF8_MAX_BYTES_PER_CHAR <= max_bytes:
        return False
    return len(text.encode()) > max_bytes


class BodySizeLimit:
    """Checks Content-Length up front and counts streamed (chunked) bodies as they arrive;
    checks each WebSocket message as it arrives. A multipart body (a file upload) has a
    limit of its own, `multipart_max_bytes` (default: the same)."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, multipart_max_bytes: int | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.multipart_max_bytes = multipart_max_bytes or max_bytes

    def _limit_of(self, scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                return self.multipart_max_bytes
        return self.max_bytes

    def _refusal(self, limit: int) -> PlainTextResponse:
        return PlainTextResponse(
            f"Request body too large: the limit is {limit} bytes.", status_code=413
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_of(scope)
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await self._refusal(limit)(scope, receive, send)
                return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except ClientDisconnect:
            return
        except BodyTooLarge:
            if not response_started:
                await self._refusal(limit)(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An oversized message closes the socket with 1009; the app then receives a
        disconnect, as if the client had gone, and what it sends after is dropped."""
        closed = False

        async def limited_receive() -> Message:
            nonlocal closed
            message = await receive()
            too_big = message["type"] == "websocket.receive" and message_size_over(
                message, self.max_bytes
            )
            if too_big and not closed:
                closed = True
                close = {"code": MESSAGE_TOO_BIG, "reason": MESSAGE_TOO_BIG_REASON}
                await send({"type": "websocket.close", **close})
                return {"type": "websocket.disconnect", **close}
            return message

        async def open_send(message: Message) -> None:
            if not closed:
                await send(message)

        await self.app(scope, limited_receive, open_send)
