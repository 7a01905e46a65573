"""/metrics, as Prometheus would scrape it from real `shopgraph serve` processes: each
series counts what real requests did, several processes add up, and production keeps the
numbers off the public port."""

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from shopgraph.server.embedded import free_port
from tests.conftest import Account, create_user, log_in
from tests.factories import global_id
from tests.helpers import (
    CANCEL,
    TRANSPORT_WS,
    add_product,
    eventually,
    expire_now,
    gql_of,
    line,
    order_oid,
    pay,
    place,
    placed,
)
from tests.served import scrape, serve, serve_env

WATCH = """subscription Watch($ids: [ID!]) {
  stockUpdated(productIds: $ids) { productId stock }
}"""
PASSWORD = "a long enough password"
PENDING_OR_SENDING = {"status": {"$in": ["PENDING", "SENDING"]}}


async def _subscribe(ws_url: str, product: dict[str, Any]) -> ClientConnection:
    socket = await connect(ws_url, subprotocols=[TRANSPORT_WS])
    await socket.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 10)) == {"type": "connection_ack"}
    variables = {"ids": [global_id("Product", product["_id"])]}
    payload = {"query": WATCH, "variables": variables, "operationName": "Watch"}
    await socket.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
    return socket


async def _next_stock(socket: ClientConnection) -> int:
    message = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert message["type"] == "next", message
    return message["payload"]["data"]["stockUpdated"]["stock"]


async def _customer(db, http: httpx.AsyncClient, email: str) -> Account:
    user_id = await create_user(db, email, PASSWORD)
    tokens = await log_in(http, email, PASSWORD)
    assert tokens["userErrors"] == [], tokens
    return Account(user_id, email, PASSWORD, tokens["accessToken"], tokens["refreshToken"])


async def _value(url: str, name: str, **labels: str) -> float | None:
    return (await scrape(url)).value(name, **labels)


async def test_metrics_count_what_real_requests_did(db, mongodb_target, tmp_path):
    mug = await add_product(db, sku="MUG-M", stock=20)
    closed = free_port()  # no mail server listens here: every send fails
    env = serve_env(
        mongodb_target,
        tmp_path / "data",
        SHOPGRAPH_SMTP_HOST="127.0.0.1",
        SHOPGRAPH_SMTP_PORT=str(closed),
        SHOPGRAPH_SMTP_TLS="none",
        SHOPGRAPH_MAIL_POLL_SECONDS="0.1",
        SHOPGRAPH_ORDER_SWEEP_SECONDS="0.2",
    )
    server = await serve(env, tmp_path / "serve.log")
    metrics = f"{server.base_url}/metrics"
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            gql = gql_of(http)
            who = await _customer(db, http, "buyer@shop.test")
            ok = await gql("query Catalog { products(first: 2) { totalCount } }")
            assert "errors" not in ok, ok
            await gql('query Broken { product(id: "nope") { id } }')
            await gql("query MyOrders { orders(first: 1) { totalCount } }")
            await gql("{ products(first: ")  # not GraphQL at all

            socket = await _subscribe(server.ws_url, mug)
            await eventually(
                lambda: _is(metrics, 1, "shopgraph_subscriptions_active"), 10, "subscribed"
            )
            first = placed(await place(gql, who, [line(mug, 1)]))
            assert await _next_stock(socket) == 19
            second = placed(await place(gql, who, [line(mug, 2)], key="k-1"))
            assert await _next_stock(socket) == 17
            replayed = placed(await place(gql, who, [line(mug, 2)], key="k-1"))
            assert replayed["id"] == second["id"]
            third = placed(await place(gql, who, [line(mug, 3)]))
            assert await _next_stock(socket) == 14
            await pay(gql, who, first)
            cancelled = await gql(CANCEL, {"id": second["id"]}, headers=who.headers)
            assert cancelled["data"]["cancelOrder"]["userErrors"] == [], cancelled
            assert await _next_stock(socket) == 16

            during = await scrape(metrics)
            await socket.close()

            await expire_now(db, [order_oid(third)])
            await eventually(
                lambda: _is(metrics, 1, "shopgraph_orders_cancelled_total", reason="expired"),
                10,
                "the sweep expired the third order",
            )
            await eventually(
                lambda: _is(metrics, 0, "shopgraph_websockets_active"), 10, "socket closed"
            )
            await eventually(
                lambda: _at_least(metrics, 1, "shopgraph_mail_send_failures_total"),
                10,
                "the confirmation email failed to go out",
            )
            after = await scrape(metrics)
            unsent = await db.outbox.count_documents(PENDING_OR_SENDING)
    finally:
        output = server.stop()
    assert "Traceback" not in output, output

    # While subscribed: one socket, one subscription; three orders held stock, one each.
    assert during.value("shopgraph_websockets_active") == 1
    assert during.value("shopgraph_subscriptions_active") == 1
    assert during.value("shopgraph_orders_placed_total") == 3  # the replay placed nothing
    assert during.value("shopgraph_orders_paid_total") == 1
    assert during.value("shopgraph_orders_cancelled_total", reason="requested") == 1
    assert during.value("shopgraph_orders_cancelled_total", reason="expired") == 0
    assert during.value("shopgraph_orders_pending") == 1
    # Four stock changes reached the subscriber: three takes and a return.
    assert during.value("shopgraph_live_stock_events_total") == 4
    assert during.value("shopgraph_live_stock_feed_lag_seconds_count") == 4
    assert 0 < during.value("shopgraph_live_stock_feed_lag_seconds_sum") < 4 * 5

    ops = "shopgraph_graphql_operations_total"
    assert during.value(ops, operation="Catalog", type="query", outcome="ok") == 1
    assert during.value(ops, operation="Broken", type="query", outcome="error") == 1
    assert during.value(ops, operation="MyOrders", type="query", outcome="error") == 1
    assert during.value(ops, operation="anonymous", type="unknown", outcome="error") == 1
    assert during.value(ops, operation="Login", type="mutation", outcome="ok") == 1
    assert during.value(ops, operation="Place", type="mutation", outcome="ok") == 4
    assert during.value(ops, operation="Pay", type="mutation", outcome="ok") == 1
    assert during.value(ops, operation="Cancel", type="mutation", outcome="ok") == 1
    assert during.total(ops, operation="Watch") == 0  # counted when it ends
    assert after.value(ops, operation="Watch", type="subscription", outcome="ok") == 1
    seconds = "shopgraph_graphql_operation_duration_seconds"
    assert during.value(f"{seconds}_count", operation="Place", type="mutation") == 4
    assert during.value(f"{seconds}_bucket", operation="Place", type="mutation", le="+Inf") == 4
    assert during.total(f"{seconds}_count", operation="Watch") == 0

    errors = "shopgraph_graphql_errors_total"
    assert during.value(errors, code="BAD_USER_INPUT") == 1
    assert during.value(errors, code="UNAUTHENTICATED") == 1
    assert during.value(errors, code="GRAPHQL_PARSE_FAILED") == 1
    assert during.total(errors) == 3

    http_seconds = "shopgraph_http_request_duration_seconds_count"
    # Login, four queries, four placeOrders, payOrder, cancelOrder: all answered 200.
    assert during.value(http_seconds, route="/graphql", method="POST", status="200") == 11
    assert during.value(http_seconds, route="/metrics", method="GET", status="200") >= 1

    commands = "shopgraph_mongodb_command_duration_seconds_count"
    assert during.value(commands, command="insert", collection="orders") == 3
    assert during.value(commands, command="find", collection="products") >= 1
    assert during.total("shopgraph_mongodb_command_failures_total") == 0

    # After: the subscription ended, the third order expired, the email kept failing.
    assert after.value("shopgraph_subscriptions_active") == 0
    assert after.value("shopgraph_orders_cancelled_total", reason="expired") == 1
    assert after.value("shopgraph_orders_pending") == 0
    assert after.value("shopgraph_live_stock_events_total") == 5  # the expiry's return
    assert after.value("shopgraph_mail_sent_total") == 0
    assert after.value("shopgraph_outbox_backlog") == unsent >= 1
    assert after.value("shopgraph_outbox_given_up") == 0


async def _is(url: str, expected: float, name: str, **labels: str) -> bool:
    return await _value(url, name, **labels) == expected


async def _at_least(url: str, least: float, name: str, **labels: str) -> bool:
    return (await _value(url, name, **labels) or 0) >= least
