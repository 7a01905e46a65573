"""HTTP requests timed by route, method and status; WebSockets counted while open.

Plain ASGI, outermost of the app's middleware: it sees every request, those the body
limit or CORS answer included. Routes and methods are a fixed set, so a client probing
paths adds no series.
"""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopgraph.server import graphiql
from shopgraph.server.metrics.instruments import HTTP_REQUEST_SECONDS, WEBSOCKETS

ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})
METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS"})


def route_of(path: str) -> str:
    if path in ROUTES:
        return path
    if path.startswith(graphiql.ASSET_PREFIX + "/"):
        return graphiql.ASSET_PREFIX
    return "other"


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status: int | None = None

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except BaseException:
            status = status or 500
            raise
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            HTTP_REQUEST_SECONDS.labels(
                route_of(scope["path"]), method, str(status) if status else "none"
            ).observe(time.perf_counter() - started)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        accepted = False

        async def sending(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKETS.inc()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if accepted:
                WEBSOCKETS.dec()
