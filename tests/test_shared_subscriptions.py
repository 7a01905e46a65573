"""Shared `stockUpdated` subscriptions (server.fanout): subscribers of one document,
variables and visibility get the same payload from one execution per event; others get
their own; a socket that stops reading delays nobody; a group goes with its last member.

The real app behind a real uvicorn server in the test's event loop, real sockets, and the
real change stream of the session's MongoDB. The process's executions are counted by
`SharedSubscriptions.executions` (and the `shopgraph_subscription_executions` metric).
"""

import asyncio
import gc
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId
from starlette.applications import Starlette
from strawberry.types.execution import ExecutionContext
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.fanout_client import client_frame
from shopgraph.auth.tokens import AccessTokens
from shopgraph.server.fanout import Group, SharedSubscriptions
from shopgraph.server.metrics.instruments import OPERATIONS
from tests.conftest import LOGIN, TEST_JWT_SECRET, create_user, live_server
from tests.factories import global_id
from tests.helpers import TRANSPORT_WS, add_product, eventually

DOCUMENT = """subscription Of($ids: [ID!]) {
  stockUpdated(productIds: $ids) { productId stock inStock product { name active } }
}"""
WITHIN = 10.0


def shared_of(app: Starlette) -> SharedSubscriptions:
    return app.state.shared_subscriptions


async def opened(url: str, token: str | None = None) -> ClientConnection:
    ws = await connect(url, subprotocols=[TRANSPORT_WS], open_timeout=30, close_timeout=2)
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
    return ws


async def subscribe(ws: ClientConnection, op_id: str, product_ids: list[str]) -> None:
    payload = {"query": DOCUMENT, "variables": {"ids": product_ids}}
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))


async def raw_message(ws: ClientConnection) -> str:
    text = await asyncio.wait_for(ws.recv(), WITHIN)
    assert isinstance(text, str)
    return text


async def until_stock(ws: ClientConnection, stock: int) -> dict[str, Any]:
    async with asyncio.timeout(WITHIN):
        while True:
            message = json.loads(await raw_message(ws))
            assert message["type"] == "next", message
            if message["payload"]["data"]["stockUpdated"]["stock"] == stock:
                return message


async def subscriptions(app: Starlette, count: int) -> None:
    broker = app.state.stock_broker
    await eventually(lambda: broker.subscriber_count == count, WITHIN, f"{count} subscribed")


async def set_stock(db: Any, product_id: ObjectId, stock: int) -> None:
    await db.products.update_one({"_id": product_id}, {"$set": {"stock": stock}})


async def admin_token(db: Any, url: str) -> str:
    await create_user(db, "fanout-admin@shop.test", "admin password", "ADMIN")
    base = url.replace("ws://", "http://")
    async with httpx.AsyncClient(timeout=10) as http:
        variables = {"email": "fanout-admin@shop.test", "password": "admin password"}
        answer = await http.post(base, json={"query": LOGIN, "variables": variables})
    return answer.json()["data"]["login"]["accessToken"]


async def close_all(sockets: list[ClientConnection]) -> None:
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


async def test_subscribers_of_one_document_get_the_same_bytes_from_one_execution(db, make_settings):
    document = await add_product(db, stock=40)
    product_id, product = document["_id"], global_id("Product", document["_id"])
    async with live_server(make_settings()) as (app, url):
        sockets = [await opened(url) for _ in range(6)]
        try:
            for ws in sockets:
                await subscribe(ws, "stock", [product])
            await subscribe(sockets[0], "again", [product])  # two on one socket
            await subscriptions(app, 7)
            shared = shared_of(app)
            assert len(shared.groups) == 1
            before = shared.executions

            await set_stock(db, product_id, 39)
            texts = [await raw_message(ws) for ws in sockets] + [await raw_message(sockets[0])]

            assert shared.executions == before + 1
            messages = [json.loads(text) for text in texts]
            assert sorted(m["id"] for m in messages) == ["again"] + ["stock"] * 6
            assert {m["type"] for m in messages} == {"next"}
            payloads = {json.dumps(m["payload"], sort_keys=True) for m in messages}
            assert len(payloads) == 1
            assert messages[0]["payload"]["data"]["stockUpdated"] == {
                "productId": product,
                "stock": 39,
                "inStock": True,
                "product": {"name": document["name"], "active": True},
            }
            assert messages[0]["payload"]["extensions"]["cost"]["requestedQueryCost"] > 0
            # The bytes after the id are one string for all.
            assert len({text[text.index(',"type"') :] for text in texts}) == 1
        finally:
            await close_all(sockets)


async def test_other_variables_and_admins_get_their_own_execution_and_inactive_products_reach_admins_only(  # noqa: E501
    db, make_settings
):
    active_id = (await add_product(db, stock=10, name="On sale"))["_id"]
    hidden_id = (await add_product(db, stock=10, name="Hidden", active=False))["_id"]
    active, hidden = global_id("Product", active_id), global_id("Product", hidden_id)
    async with live_server(make_settings()) as (app, url):
        admin = await opened(url, await admin_token(db, url))
        anonymous = await opened(url)
        try:
            for ws in (admin, anonymous):
                await subscribe(ws, "hidden", [hidden])
                await subscribe(ws, "active", [active])
            await subscriptions(app, 4)
            shared = shared_of(app)
            assert len(shared.groups) == 4  # two variables x two visibilities
            anonymous_hidden = next(
                group
                for group in shared.groups.values()
                if not group.key.sees_inactive and hidden in group.key.variables
            )

            await set_stock(db, hidden_id, 9)
            seen = json.loads(await raw_message(admin))
            assert seen["id"] == "hidden"
            assert seen["payload"]["data"]["stockUpdated"]["product"] == {
                "name": "Hidden",
                "active": False,
            }
            await eventually(
                lambda: not anonymous_hidden.subscriber._pending, WITHIN, "change considered"
            )
            assert anonymous_hidden.executions == 0

            before = shared.executions
            await set_stock(db, active_id, 7)
            for ws in (admin, anonymous):
                message = json.loads(await raw_message(ws))
                assert message["id"] == "active", message  # the hidden change never came
                update = message["payload"]["data"]["stockUpdated"]
                assert (update["productId"], update["stock"]) == (active, 7)
            assert shared.executions == before + 2  # the admins' group and the others'
        finally:
            await close_all([admin, anonymous])


async def raw_subscriber(
    url: str, query: str, product: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A socket that, once subscribed, reads nothing until told: its TCP buffers fill.
    The writer must be kept: the socket closes when it is collected."""
    port = int(url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"GET /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
    )
    assert b" 101 " in await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN)
    writer.write(client_frame(json.dumps({"type": "connection_init", "payload": {}})))
    await asyncio.wait_for(reader.readuntil(b'"connection_ack"}'), WITHIN)
    payload = {"query": query, "variables": {"ids": [product]}}
    writer.write(client_frame(json.dumps({"id": "1", "type": "subscribe", "payload": payload})))
    await writer.drain()
    return reader, writer


async def test_a_socket_that_stops_reading_delays_no_one_and_gets_the_newest_value_later(
    db, make_settings
):
    # Big payloads fill the idle socket's buffers after a few dozen changes.
    product_id = (await add_product(db, stock=1000, description="x" * 50_000))["_id"]
    product = global_id("Product", product_id)
    query = DOCUMENT.replace("name active", "name description")
    async with live_server(make_settings()) as (app, url):
        slow, slow_writer = await raw_subscriber(url, query, product)
        fast = await opened(url)
        try:
            payload = {"query": query, "variables": {"ids": [product]}}
            await fast.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            await subscriptions(app, 2)
            for stock in range(999, 799, -1):
                await set_stock(db, product_id, stock)
                await until_stock(fast, stock)  # each change reaches the reader at once
            (group,) = shared_of(app).groups.values()
            assert any(member.has_pending() for member in group.members), "never held up"

            async with asyncio.timeout(WITHIN):  # older values were replaced by newer ones
                while b'"stock":800,' not in await slow.read(1 << 20):
                    pass
        finally:
            slow_writer.close()
            await fast.close()


async def test_the_group_goes_when_its_last_subscriber_leaves(db, make_settings):
    product_id = (await add_product(db, stock=40))["_id"]
    product = global_id("Product", product_id)
    async with live_server(make_settings()) as (app, url):
        first, second = await opened(url), await opened(url)
        try:
            await subscribe(first, "1", [product])
            await subscribe(second, "1", [product])
            await subscriptions(app, 2)
            shared = shared_of(app)
            (group,) = shared.groups.values()

            await first.send(json.dumps({"id": "1", "type": "complete"}))
            await subscriptions(app, 1)
            assert list(shared.groups.values()) == [group]
            await second.close()
            await subscriptions(app, 0)
            assert shared.groups == {}
            await eventually(lambda: group.task.done(), WITHIN, "group task ended")
            assert app.state.stock_broker._subscribers == set()

            await set_stock(db, product_id, 39)  # a new subscriber makes a new group
            await subscribe(first, "2", [product])
            await subscriptions(app, 1)
            assert isinstance(next(iter(shared.groups.values())), Group)
            assert next(iter(shared.groups.values())) is not group
        finally:
            await close_all([first, second])


async def test_a_shared_subscription_ends_with_4403_when_its_token_expires(db, make_settings):
    product_id = (await add_product(db, stock=40))["_id"]
    user_id = await create_user(db, "fanout-expiry@shop.test", "customer password")
    tokens = AccessTokens(TEST_JWT_SECRET, "shopgraph", "shopgraph-api", timedelta(seconds=3))
    token = tokens.issue(str(user_id), "CUSTOMER", "a-session")
    expires = tokens.decode(token).expires_at.timestamp()
    async with live_server(make_settings()) as (app, url):
        ws = await opened(url, token)
        try:
            await subscribe(ws, "1", [global_id("Product", product_id)])
            await subscriptions(app, 1)
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            assert ws.close_code == 4403
            assert time.time() > expires - 0.5
            await subscriptions(app, 0)
            assert shared_of(app).groups == {}
        finally:
            await ws.close()


def live_execution_contexts() -> int:
    """Strawberry's execution contexts still alive: one per operation whose pipeline runs."""
    gc.collect()
    return sum(isinstance(obj, ExecutionContext) for obj in gc.get_objects())


async def test_an_idle_shared_subscription_keeps_no_operation_pipeline(db, make_settings):
    """Once a subscription is in its group, its operation's Strawberry pipeline (task,
    extensions, executor) is closed: what stays is its membership. It still gets every
    change, ends on `complete`, and its operation is counted once, when it ends."""
    product_id = (await add_product(db, stock=30))["_id"]
    product = global_id("Product", product_id)
    async with live_server(make_settings()) as (app, url):
        sockets = [await opened(url) for _ in range(5)]
        try:
            before = live_execution_contexts()
            for ws in sockets:
                await subscribe(ws, "1", [product])
            await subscriptions(app, 5)
            await eventually(
                lambda: live_execution_contexts() <= before, WITHIN, "pipelines closed"
            )
            counted = OPERATIONS.labels("Of", "subscription", "ok")._value.get()

            await set_stock(db, product_id, 29)
            for ws in sockets:
                await until_stock(ws, 29)
            await sockets[0].send(json.dumps({"id": "1", "type": "complete"}))
            await subscriptions(app, 4)
            assert OPERATIONS.labels("Of", "subscription", "ok")._value.get() == counted + 1
            await set_stock(db, product_id, 28)
            for ws in sockets[1:]:
                await until_stock(ws, 28)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(sockets[0].recv(), 0.3)
        finally:
            await close_all(sockets)
        await subscriptions(app, 0)
