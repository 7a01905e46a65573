"""What one client can make a WebSocket cost: messages over the body limit close the socket
with 1009 before they are parsed, `productIds` is counted before any ID is decoded, and a
client address holds at most `SHOPGRAPH_MAX_WS_PER_CLIENT` sockets per server process.

The message limit is checked by the app under any server (here Starlette's test client and
a real uvicorn without its own limit); `shopgraph serve` also sets uvicorn's, tested in
test_cli.py. The connection cap is tested with real sockets against a real uvicorn.
"""

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from shopgraph.server.app import create_app
from shopgraph.server.graphql_view import ShopgraphGraphQL
from tests.conftest import live_server
from tests.factories import global_id
from tests.helpers import TRANSPORT_WS, TestClient, WebSocketTestSession, eventually

LIMIT = 4096  # bytes: a small SHOPGRAPH_MAX_BODY_BYTES keeps the messages small
STOCK_OF = "subscription Of($ids: [ID!]) { stockUpdated(productIds: $ids) { stock } }"
SOCKET_TIMEOUT = 10.0


def padded_ping(size: int, pad: str = "x") -> str:
    """A `ping` message of exactly `size` UTF-8 bytes, filled with `pad` characters."""
    empty = json.dumps({"type": "ping", "payload": {"pad": ""}})
    count = (size - len(empty.encode())) // len(pad.encode())
    message = json.dumps({"type": "ping", "payload": {"pad": pad * count}}, ensure_ascii=False)
    assert len(message.encode()) == size, "choose a size the pad fills exactly"
    return message


# --- messages over the body limit, in the app ---------------------------------------------


@pytest.fixture
def app_client(make_settings) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(max_body_bytes=LIMIT))) as client:
        yield client


@contextmanager
def initialised(client: TestClient) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect("/graphql", subprotocols=[TRANSPORT_WS]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json() == {"type": "connection_ack"}
        yield ws


def test_a_message_at_the_limit_is_served(app_client):
    with initialised(app_client) as ws:
        ws.send_text(padded_ping(LIMIT))
        assert ws.receive_json()["type"] == "pong"


@pytest.mark.parametrize(
    "message",
    [padded_ping(LIMIT + 1), padded_ping(LIMIT + 2, pad="é"), padded_ping(LIMIT * 10)],
    ids=["one-byte-over", "over-in-utf8-bytes-not-characters", "ten-times"],
)
def test_a_text_message_over_the_limit_closes_with_1009(app_client, message):
    with initialised(app_client) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.send_text(message)
        ws.receive_json()

    assert (closed.value.code, closed.value.reason) == (1009, "Message too big")
    assert app_client.get("/healthz").status_code == 200


def test_a_binary_message_over_the_limit_closes_with_1009(app_client):
    with initialised(app_client) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.send_bytes(b"x" * (LIMIT + 1))
        ws.receive_json()

    assert closed.value.code == 1009


async def test_a_too_big_subscribe_closes_with_1009_on_a_real_server(make_settings, caplog):
    """Under a server with no message limit of its own (uvicorn's default is 16 MiB)."""
    ids = [global_id("Product", "0" * 24)] * 2000
    subscribe = {"id": "1", "type": "subscribe", "payload": {"query": STOCK_OF}}
    subscribe["payload"]["variables"] = {"ids": ids}
    async with live_server(make_settings(max_body_bytes=LIMIT)) as (_, url):
        async with ws_connect(url) as ws:
            await initialise(ws)
            await ws.send(json.dumps(subscribe))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), SOCKET_TIMEOUT)
        async with httpx.AsyncClient() as http:
            health = await http.get(url.replace("ws://", "http://").replace("/graphql", "/healthz"))

    assert (ws.close_code, ws.close_reason) == (1009, "Message too big")
    assert health.status_code == 200
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


# --- productIds ---------------------------------------------------------------------------


def first_reply(client: TestClient, payload: dict[str, Any]) -> dict[str, Any]:
    with initialised(client) as ws:
        ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        return ws.receive_json()


def test_more_product_ids_than_a_page_are_refused_before_any_is_decoded(make_settings):
    with TestClient(create_app(make_settings(max_page_size=5, default_page_size=5))) as client:
        reply = first_reply(client, {"query": STOCK_OF, "variables": {"ids": ["not an id"] * 6}})

    assert reply["type"] == "next"
    assert reply["payload"]["errors"] == [
        {
            "message": "Subscribe to at most 5 products at once; `productIds` lists 6.",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]


def test_as_many_product_ids_as_a_page_are_decoded(make_settings):
    """At the cap the IDs are read, and a bad one is refused as such."""
    with TestClient(create_app(make_settings(max_page_size=5, default_page_size=5))) as client:
        reply = first_reply(client, {"query": STOCK_OF, "variables": {"ids": ["not an id"] * 5}})

    assert reply["payload"]["errors"] == [
        {
            "message": "Invalid Product ID: not a global ID.",
            "extensions": {"code": "BAD_USER_INPUT"},
        }
    ]


# --- open sockets per client address ------------------------------------------------------


def ws_connect(url: str, **kwargs: Any) -> Any:
    return connect(url, subprotocols=[TRANSPORT_WS], open_timeout=30, close_timeout=2, **kwargs)


async def initialise(ws: ClientConnection) -> None:
    await ws.send(json.dumps({"type": "connection_init"}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), SOCKET_TIMEOUT))
    assert reply == {"type": "connection_ack"}


def view_of(app: Starlette) -> ShopgraphGraphQL:
    [route] = [route for route in app.routes if isinstance(route, WebSocketRoute)]
    assert isinstance(route.app, ShopgraphGraphQL)
    return route.app


def open_from(app: Starlette, address: str = "127.0.0.1") -> int:
    return view_of(app).websockets_per_client.slots.held(address)


TOO_MANY = "Too many open WebSockets from your address (at most {})"


async def try_to_open(url: str, **kwargs: Any) -> ClientConnection | tuple[int, str]:
    """An initialised socket, or the code and reason it was closed with at once."""
    ws = await ws_connect(url, **kwargs)
    try:
        await initialise(ws)
    except ConnectionClosed:
        return ws.close_code or 0, ws.close_reason or ""
    return ws


async def refusal(url: str, **kwargs: Any) -> tuple[int, str]:
    outcome = await try_to_open(url, **kwargs)
    assert isinstance(outcome, tuple), "the socket was admitted"
    return outcome


async def test_a_client_opens_at_most_the_limit_of_websockets_at_once(make_settings, caplog):
    async with live_server(make_settings(max_ws_per_client=3)) as (app, url):
        outcomes = await asyncio.gather(*(try_to_open(url) for _ in range(10)))
        opened = [ws for ws in outcomes if isinstance(ws, ClientConnection)]
        assert len(opened) == 3
        assert open_from(app) == 3
        for ws in opened:
            await ws.close()
        await eventually(lambda: open_from(app) == 0, SOCKET_TIMEOUT, "every slot freed")

    refused = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    assert refused == [(1013, TOO_MANY.format(3))] * 7
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


async def test_closing_a_websocket_frees_its_slot_even_when_the_client_just_vanishes(
    make_settings,
):
    async with live_server(make_settings(max_ws_per_client=2)) as (app, url):
        first = await try_to_open(url)
        second = await try_to_open(url)
        assert isinstance(first, ClientConnection) and isinstance(second, ClientConnection)
        assert (await refusal(url))[0] == 1013

        await first.close()
        await eventually(lambda: open_from(app) == 1, SOCKET_TIMEOUT, "a closed socket's slot")
        third = await try_to_open(url)
        assert isinstance(third, ClientConnection)
        assert (await refusal(url))[0] == 1013

        second.transport.abort()  # no close frame: the connection is just gone
        await eventually(lambda: open_from(app) == 1, SOCKET_TIMEOUT, "a lost socket's slot")
        fourth = await try_to_open(url)
        assert isinstance(fourth, ClientConnection)

        for ws in (third, fourth):
            await ws.close()
        await eventually(lambda: open_from(app) == 0, SOCKET_TIMEOUT, "every slot freed")


async def test_the_cap_counts_each_client_behind_a_trusted_proxy_apart(make_settings):
    settings = make_settings(max_ws_per_client=1, trusted_proxies=["127.0.0.1"])
    behind = {"additional_headers": {"X-Forwarded-For": "203.0.113.7"}}
    other = {"additional_headers": {"X-Forwarded-For": "203.0.113.8"}}
    async with live_server(settings) as (app, url):
        held = [await try_to_open(url, **behind), await try_to_open(url)]
        assert (await refusal(url, **behind))[0] == 1013
        assert (await refusal(url))[0] == 1013
        held.append(await try_to_open(url, **other))
        assert all(isinstance(ws, ClientConnection) for ws in held)
        assert open_from(app, "203.0.113.7") == 1
        assert open_from(app, "203.0.113.8") == 1
        assert open_from(app) == 1
        for ws in held:
            await ws.close()
