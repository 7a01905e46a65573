"""/metrics, as Prometheus would scrape it from real `shopgraph serve` processes: each
series counts what real requests did, several processes add up, and production keeps the
numbers off the public port."""

import asyncio
import json
import signal
import uuid
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
from tests.served import Scrape, scrape, serve, serve_env

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


async def _open_socket(ws_url: str) -> ClientConnection:
    socket = await connect(ws_url, subprotocols=[TRANSPORT_WS])
    await socket.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await asyncio.wait_for(socket.recv(), 10)) == {"type": "connection_ack"}
    return socket


async def test_processes_sharing_a_metrics_directory_add_up(db, mongodb_target, tmp_path):
    """Two `shopgraph serve` processes with one PROMETHEUS_MULTIPROC_DIR, as workers have:
    either answers for both, and one killed outright leaves its counts but not its
    sockets."""
    mug = await add_product(db, sku="MUG-2P", stock=20)
    shared = tmp_path / "metrics"
    env = serve_env(mongodb_target, tmp_path / "data", PROMETHEUS_MULTIPROC_DIR=str(shared))
    first = await serve(env, tmp_path / "first.log")
    second = await serve(env, tmp_path / "second.log")
    sockets: list[ClientConnection] = []
    try:
        async with (
            httpx.AsyncClient(base_url=first.base_url, timeout=30) as one,
            httpx.AsyncClient(base_url=second.base_url, timeout=30) as two,
        ):
            who = await _customer(db, one, "two-processes@shop.test")
            for http, times in ((one, 2), (two, 3)):
                for _ in range(times):
                    body = await gql_of(http)("query Counted { products(first: 1) { totalCount } }")
                    assert "errors" not in body, body
                placed(await place(gql_of(http), who, [line(mug, 1)]))
            sockets = [await _open_socket(first.ws_url), await _open_socket(second.ws_url)]
            scrapes = [
                await scrape(f"{first.base_url}/metrics"),
                await scrape(f"{second.base_url}/metrics"),
            ]

            second.stop(signal.SIGKILL)
            left = await scrape(f"{first.base_url}/metrics")
    finally:
        for socket in sockets:
            await socket.close()
        output = first.stop() + second.stop()
    assert "Traceback" not in output, output

    counted = {"operation": "Counted", "type": "query", "outcome": "ok"}
    for both in scrapes:
        assert both.value("shopgraph_graphql_operations_total", **counted) == 5
        assert both.value("shopgraph_orders_placed_total") == 2
        assert both.value("shopgraph_websockets_active") == 2
        assert both.value("shopgraph_orders_pending") == 2
    assert left.value("shopgraph_graphql_operations_total", **counted) == 5
    assert left.value("shopgraph_orders_placed_total") == 2
    assert left.value("shopgraph_websockets_active") == 1
    counted_by = {path.stem.rpartition("_")[2] for path in shared.glob("counter_*.db")}
    assert counted_by == {str(first.process.pid), str(second.process.pid)}


async def test_production_serves_metrics_on_their_own_port_only(db, mongodb_target, tmp_path):
    metrics_port = free_port()
    env = serve_env(
        mongodb_target,
        tmp_path / "data",
        SHOPGRAPH_ENVIRONMENT="production",
        SHOPGRAPH_JWT_SECRET="s" * 40,
        SHOPGRAPH_ALLOW_TEST_GATEWAY="true",
        SHOPGRAPH_METRICS_PORT=str(metrics_port),
    )
    server = await serve(env, tmp_path / "serve.log")
    metrics = f"http://127.0.0.1:{metrics_port}"
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            public = await http.get("/metrics")
            body = await gql_of(http)("query Seen { products(first: 1) { totalCount } }")
            assert "errors" not in body, body
            scraped = await scrape(f"{metrics}/metrics")
            elsewhere = await http.get(f"{metrics}/graphql")
            posted = await http.post(f"{metrics}/metrics")
    finally:
        output = server.stop()

    assert public.status_code == 404
    seen = {"operation": "Seen", "type": "query", "outcome": "ok"}
    assert scraped.value("shopgraph_graphql_operations_total", **seen) == 1
    assert scraped.value("shopgraph_orders_pending") == 0
    assert (elsewhere.status_code, posted.status_code) == (404, 404)
    assert f"metrics at http://127.0.0.1:{metrics_port}/metrics" in output


async def test_production_without_a_metrics_port_serves_no_metrics(db, mongodb_target, tmp_path):
    env = serve_env(
        mongodb_target,
        tmp_path / "data",
        SHOPGRAPH_ENVIRONMENT="production",
        SHOPGRAPH_JWT_SECRET="s" * 40,
        SHOPGRAPH_ALLOW_TEST_GATEWAY="true",
    )
    server = await serve(env, tmp_path / "serve.log")
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            public = await http.get(f"{server.base_url}/metrics")
    finally:
        output = server.stop()
    assert public.status_code == 404
    assert "metrics are off: set SHOPGRAPH_METRICS_PORT" in output


async def test_development_serves_metrics_beside_graphql(app_with, make_settings):
    async with app_with(make_settings()) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE shopgraph_graphql_operations_total counter" in response.text


async def test_a_metrics_port_takes_metrics_off_the_public_port(app_with, make_settings):
    async with app_with(make_settings(metrics_port=free_port())) as http:
        assert (await http.get("/metrics")).status_code == 404


async def test_operation_names_are_capped_in_number_and_length(app_with, make_settings):
    """A client choosing new names does not add series without end: past the limit they
    count as `other`, and what is not a short GraphQL name as `invalid`."""
    prefix = f"Capped{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}A", f"{prefix}B", f"{prefix}C", f"{prefix}D"]
    ops = "shopgraph_graphql_operations_total"
    async with app_with(make_settings(metrics_max_operations=2)) as http:
        gql = gql_of(http)
        before = Scrape((await http.get("/metrics")).text)
        for name in [*names, names[0]]:
            assert "errors" not in await gql(f"query {name} {{ __typename }}")
        await gql(f"query {'L' * 65} {{ __typename }}")
        after = Scrape((await http.get("/metrics")).text)

    def counted(scraped: Scrape, name: str) -> float:
        return scraped.value(ops, operation=name, type="query", outcome="ok") or 0

    assert counted(after, names[0]) == 2
    assert counted(after, names[1]) == 1
    assert counted(after, names[2]) == counted(after, names[3]) == 0
    assert counted(after, "other") - counted(before, "other") == 2
    assert counted(after, "invalid") - counted(before, "invalid") == 1
