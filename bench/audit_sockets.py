"""Attacks over WebSocket (4): one huge subscribe message, a long `productIds` list
inside the body limit, and more sockets from one address than a client needs.

Sockets speak `graphql-transport-ws`. A refusal may come at the handshake (an HTTP status)
or as a close code after it; both are reported as they came.
"""

import asyncio
import base64
import contextlib
import json
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from bench.audit_http import megabytes, watching_health
from bench.audit_report import Row, tally
from bench.audit_shop import Shop

PROTOCOL = Subprotocol("graphql-transport-ws")
HUGE_MESSAGE_BYTES = 14_000_000  # under uvicorn's own 16 MiB limit
LONG_LIST_IDS = 2000  # about 80 KB: inside the 100 KB body limit
SOCKETS = 25
ID_BYTES = 48  # one product ID in the JSON list, quotes and comma included
ANSWER_TIMEOUT = 15.0
SUBSCRIPTION = (
    "subscription Live($ids: [ID!]) { stockUpdated(productIds: $ids) { productId stock } }"
)


def close_code(error: ConnectionClosed) -> int:
    return error.rcvd.code if error.rcvd is not None else 1006


async def open_socket(
    url: str, client_ip: str, token: str | None = None, seconds: float = 5.0
) -> tuple[ClientConnection | None, str]:
    """A socket past `connection_ack`, or None and how it was refused."""
    try:
        socket = await connect(
            url,
            subprotocols=[PROTOCOL],
            additional_headers={"X-Forwarded-For": client_ip},
            max_size=None,
            open_timeout=seconds,
            ping_interval=None,
        )
    except InvalidStatus as error:
        return None, f"HTTP {error.response.status_code}"
    except (InvalidHandshake, OSError, TimeoutError) as error:
        return None, type(error).__name__
    payload = {"authorization": f"Bearer {token}"} if token else {}
    try:
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        message = json.loads(await asyncio.wait_for(socket.recv(), seconds))
    except ConnectionClosed as error:
        return None, f"close {close_code(error)}"
    except TimeoutError:
        await socket.close()
        return None, "no connection_ack"
    if message.get("type") != "connection_ack":
        await socket.close()
        return None, f"answered {message.get('type')}"
    return socket, "ack"


async def next_event(socket: ClientConnection, seconds: float) -> tuple[str, float]:
    """The next message's type (with its error, if any), or the close code; and when."""
    start = time.perf_counter()
    try:
        message = json.loads(await asyncio.wait_for(socket.recv(), seconds))
    except ConnectionClosed as error:
        reason = f" ({error.rcvd.reason})" if error.rcvd is not None and error.rcvd.reason else ""
        return f"close {close_code(error)}{reason}", (time.perf_counter() - start) * 1000
    except TimeoutError:
        return f"no answer within {seconds:.0f} s", (time.perf_counter() - start) * 1000
    described = str(message.get("type"))
    payload = message.get("payload")
    errors: list[dict[str, Any]] = []
    if message.get("type") == "error" and isinstance(payload, list):
        errors = payload
    elif isinstance(payload, dict):
        errors = payload.get("errors") or []
    if errors:
        described += f" with error: {str(errors[0].get('message', ''))[:70]}"
    return described, (time.perf_counter() - start) * 1000


def _product_ids(count: int) -> list[str]:
    """Well-formed global IDs of products that do not exist, and a malformed one last, so
    that a server which reads the whole list answers with an error at the end of it."""
    ids = [base64.b64encode(f"Product:{n:024x}".encode()).decode() for n in range(count - 1)]
    return [*ids, "not-a-product-id"]


def _subscribe(ids: list[str]) -> str:
    payload = {"query": SUBSCRIPTION, "variables": {"ids": ids}}
    return json.dumps({"id": "1", "type": "subscribe", "payload": payload})


async def huge_message(shop: Shop) -> list[Row]:
    message = _subscribe(_product_ids(HUGE_MESSAGE_BYTES // ID_BYTES))
    socket, state = await open_socket(shop.server.ws_url, "203.0.113.40")
    if socket is None:
        return [Row("4", "anonymous 14 MB subscribe message", f"socket refused: {state}")]
    async with watching_health(shop.server.base_url) as health:
        start = time.perf_counter()
        try:
            await socket.send(message)
            event, _ = await next_event(socket, ANSWER_TIMEOUT)
        except ConnectionClosed as error:
            event = f"close {close_code(error)} while sending"
        ms = (time.perf_counter() - start) * 1000
    await socket.close()
    outcome = f"{event}; /healthz worst {health.worst_ms:,.0f} ms meanwhile"
    return [Row("4", f"anonymous {megabytes(len(message))} subscribe", outcome, ms, len(message))]


async def long_id_list(shop: Shop) -> list[Row]:
    message = _subscribe(_product_ids(LONG_LIST_IDS))
    socket, state = await open_socket(shop.server.ws_url, "203.0.113.41")
    if socket is None:
        return [Row("4", f"productIds x{LONG_LIST_IDS:,}", f"socket refused: {state}")]
    start = time.perf_counter()
    await socket.send(message)
    event, _ = await next_event(socket, 3.0)
    ms = (time.perf_counter() - start) * 1000
    await socket.close()
    return [
        Row("4", f"productIds x{LONG_LIST_IDS:,} (under the body limit)", event, ms, len(message))
    ]


async def many_sockets(shop: Shop) -> list[Row]:
    sockets: list[ClientConnection] = []
    states = []
    start = time.perf_counter()
    try:
        for _ in range(SOCKETS):
            socket, state = await open_socket(shop.server.ws_url, "203.0.113.42")
            states.append(state)
            if socket is not None:
                sockets.append(socket)
        # A cap may also close sockets after accepting them: a ping tells which are open.
        still_open = 0
        for socket in sockets:
            with contextlib.suppress(TimeoutError, ConnectionClosed):
                pong = await socket.ping()
                await asyncio.wait_for(pong, 2.0)
                still_open += 1
    finally:
        ms = (time.perf_counter() - start) * 1000
        for socket in sockets:
            await socket.close()
    outcome = f"{len(sockets)}/{SOCKETS} accepted ({tally(states)}); {still_open} still open after"
    return [Row("4", f"{SOCKETS} sockets from one address", outcome, ms)]
