"""`X-Shopgraph-Process`: which server process answered, on every response and on the
WebSocket handshake.

Its value is the process ID, as uvicorn logs it ("Started server process [1234]"), so an
answer can be matched with its process's log lines when several run on one port. It
tells a client no more than that several processes exist.
"""

import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROCESS_HEADER = "X-Shopgraph-Process"
_STARTS = ("http.response.start", "websocket.accept")


class ProcessHeader:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = (PROCESS_HEADER.lower().encode(), str(os.getpid()).encode())

        async def send_with_header(message: Message) -> None:
            if message["type"] in _STARTS:
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, send_with_header)
