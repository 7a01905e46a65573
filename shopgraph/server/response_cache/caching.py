"""The response cache in front of the GraphQL endpoint, answering before Strawberry parses
anything: a hit is a header scan, the body's bytes, one dict lookup and one send.

A request may be answered from the store only if it has no Authorization header at all,
is a GET or a JSON POST, and its exact bytes (query string or body, with the Accept and
Content-Type headers) were kept after a miss proved them to be an anonymous catalog query
(`documents.catalog_query`) answered with 200 and no `errors`. The answer's bytes are the
ones the miss sent, with a fresh X-Request-ID.

GET answers to such queries carry `Cache-Control` (public: only anonymous callers ever get
it), a strong `ETag` and `Vary: Accept, Authorization`; `If-None-Match` gets 304.
"""

import hashlib

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopgraph.server.graphql_view import request_id_for
from shopgraph.server.metrics.instruments import RESPONSE_CACHE_LOOKUPS
from shopgraph.server.response_cache.documents import catalog_query
from shopgraph.server.response_cache.store import AnswerStore, Header, Key, StoredAnswer

HITS = RESPONSE_CACHE_LOOKUPS.labels("hit")
MISSES = RESPONSE_CACHE_LOOKUPS.labels("miss")
_LEFT_OUT = frozenset({b"x-request-id"})


def cache_control(max_age_seconds: int) -> bytes:
    """Public, since only anonymous answers carry it; without a max-age a CDN must ask
    again each time (a 304 when nothing changed), as it cannot see our change stream."""
    if max_age_seconds <= 0:
        return b"public, no-cache"
    return f"public, max-age={max_age_seconds}".encode()


def strong_etag(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """RFC 9110 13.1.2: `*` or any listed tag, compared weakly (W/ ignored)."""
    if if_none_match.strip() == b"*":
        return True
    return any(tag.strip().removeprefix(b"W/") == etag for tag in if_none_match.split(b","))


class _Request:
    """What the cache reads of a request, from one pass over its headers."""

    __slots__ = ("accept", "authorized", "content_type", "if_none_match", "method")

    def __init__(self, scope: Scope) -> None:
        self.method: str = scope["method"]
        self.authorized = False
        self.accept = self.content_type = self.if_none_match = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                self.authorized = True
            elif name == b"accept":
                self.accept = value
            elif name == b"content-type":
                self.content_type = value
            elif name == b"if-none-match":
                self.if_none_match = value

    @property
    def candidate(self) -> bool:
        if self.authorized:
            return False
        if self.method == "GET":
            return True
        return self.method == "POST" and self.content_type.startswith(b"application/json")


class ResponseCaching:
    """Wraps the GraphQL view's HTTP side; WebSockets never come here."""

    def __init__(self, app: ASGIApp, store: AnswerStore, max_age_seconds: int) -> None:
        self.app = app
        self.store = store
        self.cache_control = cache_control(max_age_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = _Request(scope) if scope["type"] == "http" else None
        if request is None or not request.candidate:
            await self.app(scope, receive, send)
            return
        if request.method == "GET":
            raw = scope["query_string"]
        elif not self.store.live:  # nothing to keep: only GET answers get headers
            await self.app(scope, receive, send)
            return
        else:
            raw = await _body(receive)
            receive = _replaying(raw, receive)
        key: Key = (request.method.encode(), request.accept, request.content_type, raw)
        generation = self.store.generation  # before anything reads the database
        answer = self.store.get(key)
        if answer is not None:
            HITS.inc()
            await self._answer(scope, send, request, answer)
            return
        if not catalog_query(*_operation(request.method, raw)):
            await self.app(scope, receive, send)
            return
        MISSES.inc()
        await self.app(scope, receive, self._keeping(send, request, key, generation))

    def _keeping(self, send: Send, request: _Request, key: Key, generation: int) -> Send:
        """Holds the answer until its last byte, keeps it if it qualifies, then sends it
        (as a 304 when the client's tag matches)."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def keeping(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if start["status"] != 200 or not _without_errors(body):
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            answer = self._stored(request, start["headers"], body)
            self.store.put(key, answer, generation)
            await self._answer_fresh(send, request, start["headers"], answer)

        return keeping

    def _stored(self, request: _Request, headers: list[Header], body: bytes) -> StoredAnswer:
        kept = [(name, value) for name, value in headers if name not in _LEFT_OUT]
        if request.method != "GET":
            return StoredAnswer(tuple(kept), body)
        etag = strong_etag(body)
        kept = [(n, v + b", Authorization" if n == b"vary" else v) for n, v in kept]
        if not any(name == b"vary" for name, _ in kept):
            kept.append((b"vary", b"Accept, Authorization"))
        kept += [(b"etag", etag), (b"cache-control", self.cache_control)]
        return StoredAnswer(tuple(kept), body, etag)

    async def _answer_fresh(
        self, send: Send, request: _Request, headers: list[Header], answer: StoredAnswer
    ) -> None:
        request_id = [(name, value) for name, value in headers if name in _LEFT_OUT]
        await self._send(send, request, answer, request_id)

    async def _answer(
        self, scope: Scope, send: Send, request: _Request, answer: StoredAnswer
    ) -> None:
        request_id = request_id_for(Request(scope)).encode()
        await self._send(send, request, answer, [(b"x-request-id", request_id)])

    @staticmethod
    async def _send(
        send: Send, request: _Request, answer: StoredAnswer, extra: list[Header]
    ) -> None:
        etag, asked = answer.etag, request.if_none_match
        if etag is not None and asked and etag_matches(asked, etag):
            headers = [h for h in answer.headers if h[0] in _NOT_MODIFIED_HEADERS]
            await send({"type": "http.response.start", "status": 304, "headers": headers + extra})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [*answer.headers, *extra]}
        )
        await send({"type": "http.response.body", "body": answer.body})


_NOT_MODIFIED_HEADERS = frozenset({b"etag", b"cache-control", b"vary"})


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The body already read, once; then whatever the client sends (a disconnect)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _operation(method: str, raw: bytes) -> tuple[object, object]:
    """(query, operationName) as Strawberry reads them from the same bytes."""
    if method == "GET":
        params = QueryParams(raw)
        return params.get("query"), params.get("operationName")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    return data.get("query"), data.get("operationName")


def _without_errors(body: bytes) -> bool:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and "errors" not in data and data.get("data") is not None
