"""Live stock over WebSocket, against real `shopgraph serve` processes.

Two server processes, A and B, share the session's MongoDB: each runs its own change
stream, so a change made through one (or by any other program) reaches subscribers of
the other. B is configured with a short `connection_init` timeout and an allowed CORS
origin. The restart test runs its own MongoDB and server.

The protocol gives no acknowledgement that a subscription is active, so every test first
makes a subscription "live": it changes a product the subscription sees until the change
arrives, then reads up to the last value written (`go_live`).
"""

import asyncio
import contextlib
import json
import socket
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import shopgraph.server.embedded as embedded_module
from shopgraph.auth.tokens import AccessTokens
from shopgraph.server.embedded import EmbeddedMongo
from tests.conftest import TEST_JWT_SECRET, create_user, without_cost
from tests.factories import global_id
from tests.helpers import LEGACY_WS, TRANSPORT_WS
from tests.live_stock_harness import (
    ALLOWED_ORIGIN,
    Servers,
    Subscriber,
    add_product,
    admin_token,
    bump,
    go_live,
    server_env,
    start_server,
    stop_server,
    two_servers,
    wait_ready,
)

ADJUST_STOCK = """mutation Adjust($id: ID!, $delta: Int!, $reason: String!) {
  adjustStock(productId: $id, delta: $delta, reason: $reason) {
    product { stock } userErrors { field message code }
  }
}"""

# Latencies measured by the tests, printed at the end of the module (`pytest -s`).
LATENCIES: dict[str, float] = {}


@pytest.fixture(scope="module")
def servers(
    mongodb_target: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Servers]:
    uri, name = mongodb_target
    with two_servers(uri, name, tmp_path_factory.mktemp("live")) as started:
        yield started


@pytest.fixture(scope="module", autouse=True)
def report_latencies() -> Iterator[None]:
    yield
    if LATENCIES:
        print("\nlive stock latencies (ms):")
        for label, seconds in LATENCIES.items():
            print(f"  {label}: {seconds * 1000:.1f}")


async def test_a_subscriber_on_one_process_sees_changes_made_through_another_and_directly(
    db, servers
):
    product_id, product = await add_product(db, stock=50)
    token = await admin_token(db, servers.b)
    subscriber = await Subscriber.open(servers.a.ws_url)
    try:
        await subscriber.subscribe("1", [product])
        await go_live([subscriber], product, lambda: bump(db, product_id))
        before = (await db.products.find_one({"_id": product_id}))["stock"]

        # adjustStock through process B.
        async with httpx.AsyncClient(base_url=servers.b.base, timeout=10) as http:
            waiting = asyncio.create_task(subscriber.update(5, op_id="1"))
            sent = time.monotonic()
            response = await http.post(
                "/graphql",
                json={
                    "query": ADJUST_STOCK,
                    "variables": {"id": product, "delta": -5, "reason": "live test"},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            update = await waiting
            through_b = time.monotonic() - sent
        assert response.json()["data"]["adjustStock"] == {
            "product": {"stock": before - 5},
            "userErrors": [],
        }
        assert update["productId"] == product
        assert update["stock"] == before - 5
        assert update["inStock"] is True
        assert update["product"]["active"] is True
        assert update["updatedAt"]
        LATENCIES["adjustStock through B -> subscriber on A"] = through_b
        assert through_b < 1.0

        # A direct write by another program.
        waiting = asyncio.create_task(subscriber.update(5, op_id="1"))
        sent = time.monotonic()
        await db.products.update_one({"_id": product_id}, {"$inc": {"stock": -3}})
        update = await waiting
        direct = time.monotonic() - sent
        assert (update["productId"], update["stock"]) == (product, before - 8)
        LATENCIES["direct pymongo write -> subscriber on A"] = direct
        assert direct < 1.0
    finally:
        await subscriber.close()


async def test_the_product_ids_filter_delivers_only_the_chosen_products(db, servers):
    wanted_id, wanted = await add_product(db, stock=20)
    other_id, _ = await add_product(db, stock=20)
    subscriber = await Subscriber.open(servers.a.ws_url)
    try:
        await subscriber.subscribe("only", [wanted])
        await go_live([subscriber], wanted, lambda: bump(db, wanted_id))

        await bump(db, other_id, -1)
        stock = await bump(db, wanted_id, -1)
        await bump(db, other_id, -1)

        update = await subscriber.update(2, op_id="only")
        assert (update["productId"], update["stock"]) == (wanted, stock)
        await subscriber.nothing_more(0.5)
        assert {u["productId"] for u in subscriber.received} == {wanted}
    finally:
        await subscriber.close()


async def test_without_product_ids_every_product_is_streamed(db, servers):
    first_id, first = await add_product(db, stock=20)
    second_id, second = await add_product(db, stock=20)
    subscriber = await Subscriber.open(servers.a.ws_url)
    try:
        await subscriber.subscribe("all", None)
        await go_live([subscriber], first, lambda: bump(db, first_id))

        second_stock = await bump(db, second_id, 7)
        update = await subscriber.update(2, op_id="all")
        assert (update["productId"], update["stock"]) == (second, second_stock)
    finally:
        await subscriber.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_both_websocket_protocols_receive_updates(db, servers, protocol):
    product_id, product = await add_product(db, stock=30)
    subscriber = await Subscriber.open(servers.a.ws_url, protocol=protocol)
    try:
        await subscriber.subscribe("p", [product])
        await go_live([subscriber], product, lambda: bump(db, product_id))

        stock = await bump(db, product_id, -2)
        update = await subscriber.update(2, op_id="p")
        assert (update["productId"], update["stock"], update["inStock"]) == (product, stock, True)
        assert update["product"]["sku"].startswith("SKU-")

        # Stock 0 is out of stock.
        await db.products.update_one({"_id": product_id}, {"$set": {"stock": 0}})
        update = await subscriber.update(2, op_id="p")
        assert (update["stock"], update["inStock"]) == (0, False)
    finally:
        await subscriber.close()


async def test_two_hundred_concurrent_subscribers_all_receive_an_update(db, servers):
    product_id, product = await add_product(db, stock=500)
    subscribers = list(
        await asyncio.gather(*(Subscriber.open(servers.a.ws_url) for _ in range(200)))
    )
    try:
        assert len({id(s.ws) for s in subscribers}) == 200
        await asyncio.gather(*(s.subscribe("s", [product]) for s in subscribers))
        await go_live(subscribers, product, lambda: bump(db, product_id))

        sent = time.monotonic()
        stock = await bump(db, product_id, -10)

        async def arrival(subscriber: Subscriber) -> float:
            update = await subscriber.update(5, op_id="s")
            assert (update["productId"], update["stock"]) == (product, stock)
            return time.monotonic() - sent

        arrivals = await asyncio.gather(*(arrival(s) for s in subscribers))
        LATENCIES["one update to 200 subscribers, last arrival"] = max(arrivals)
        assert len(arrivals) == 200
        assert max(arrivals) < 2.0
    finally:
        await asyncio.gather(*(s.close() for s in subscribers))


def unread_bytes(sock: socket.socket) -> int:
    """Bytes waiting in the kernel's receive queue of `sock` (Linux SIOCINQ)."""
    import fcntl
    import termios

    buffer = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    return int.from_bytes(buffer, sys.byteorder)


async def test_a_subscriber_that_never_reads_does_not_delay_the_others(db, servers):
    # Large updates (uncompressed: no permessage-deflate) and a tiny receive buffer on the
    # stalled client fill its TCP buffers within a few dozen updates.
    product_id, product = await add_product(db, stock=1000, name="N" * 100_000)
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", servers.a.port))
    stalled = await Subscriber.open(servers.a.ws_url, sock=raw, max_queue=1, compression=None)
    reader = await Subscriber.open(servers.a.ws_url)
    try:
        await stalled.subscribe("stalled", [product])
        await reader.subscribe("reader", [product])
        await go_live([stalled, reader], product, lambda: bump(db, product_id))
        # From here on `stalled` is never read while updates flow.

        latencies = []
        stock = None
        for _ in range(200):
            sent = time.monotonic()
            stock = await bump(db, product_id, -1)
            update = await reader.update(2, op_id="reader")
            latencies.append(time.monotonic() - sent)
            assert (update["productId"], update["stock"]) == (product, stock)
        LATENCIES["reader next to a stalled subscriber, 200 updates, max"] = max(latencies)
        LATENCIES["reader next to a stalled subscriber, 200 updates, median"] = sorted(latencies)[
            100
        ]
        # The stalled client really is backed up: its kernel buffer holds unread data.
        assert unread_bytes(raw) > 0
        assert max(latencies) < 1.0

        # Once it reads again it catches up to the newest value, having skipped some.
        caught_up = await stalled.until_stock(product, stock, 10)
        assert caught_up["stock"] == stock
        # Its server-side sender blocked on the full socket, and meanwhile its buffer kept
        # only the newest value: far fewer than the 200 changes reach it.
        assert len(stalled.received) < 150, len(stalled.received)
    finally:
        await reader.close()
        await stalled.close()


@pytest.mark.parametrize(
    ("protocol", "answer", "code"),
    [(TRANSPORT_WS, None, 4403), (LEGACY_WS, "connection_error", 1011)],
)
async def test_a_bad_token_closes_the_connection(servers, protocol, answer, code):
    async with connect(servers.a.ws_url, subprotocols=[protocol]) as ws:
        payload = {"authorization": "Bearer not-a-token"}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        if answer is not None:
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == answer
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == code


async def test_a_valid_token_makes_the_socket_the_users(db, servers):
    token = await admin_token(db, servers.a)
    subscriber = await Subscriber.open(servers.a.ws_url, token=token)
    try:
        payload = {"query": "{ me { email role } }"}
        await subscriber.ws.send(json.dumps({"type": "subscribe", "id": "me", "payload": payload}))
        answer = await subscriber.message(5)
    finally:
        await subscriber.close()

    assert answer["type"] == "next", answer
    assert without_cost(answer["payload"]) == {
        "data": {"me": {"email": "admin@shop.test", "role": "ADMIN"}}
    }


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_socket_is_closed_with_4403_when_its_access_token_expires(db, servers, protocol):
    product_id, product = await add_product(db, stock=60)
    user_id = await create_user(db, f"brief-{protocol}@shop.test", "customer password")
    tokens = AccessTokens(TEST_JWT_SECRET, "shopgraph", "shopgraph-api", timedelta(seconds=10))
    token = tokens.issue(str(user_id), "CUSTOMER", "a-session")
    expires = tokens.decode(token).expires_at.timestamp()  # whole seconds
    subscriber = await Subscriber.open(servers.a.ws_url, token=token, protocol=protocol)
    try:
        await subscriber.subscribe("p", [product])
        await go_live([subscriber], product, lambda: bump(db, product_id))
        assert time.time() < expires, "served while the token is valid"

        with pytest.raises(ConnectionClosed):
            while True:
                await subscriber.message(12)
        closed = time.time()
        assert subscriber.ws.close_code == 4403
        assert subscriber.ws.close_reason == "Access token expired"
        assert expires - 0.5 < closed < expires + 3
    finally:
        await subscriber.close()


async def test_no_connection_init_closes_the_connection_with_4408(servers):
    async with connect(servers.b.ws_url, subprotocols=[TRANSPORT_WS]) as ws:
        opened = time.monotonic()
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        waited = time.monotonic() - opened
        assert ws.close_code == 4408
        assert 0.5 < waited < 3  # 1 s from the server's accept, which comes before `opened`


async def test_an_invalid_product_id_fails_only_its_own_subscription(db, servers):
    product_id, product = await add_product(db, stock=40)
    user_id = global_id("User", ObjectId())
    subscriber = await Subscriber.open(servers.a.ws_url)
    try:
        await subscriber.subscribe("bad", ["not-a-global-id"])
        await subscriber.subscribe("good", [product])
        await subscriber.subscribe("wrong-type", [user_id])

        # Each failing subscription gets its error, then ends; "good" is unaffected.
        errors: dict[str, str] = {}
        ended: set[str] = set()
        async with asyncio.timeout(5):
            while ended != {"bad", "wrong-type"}:
                message = await subscriber.message(5)
                if message.get("id") == "good":
                    continue  # an update that raced ahead
                assert message["id"] in ("bad", "wrong-type"), message
                if message["type"] == "error":  # an error ends the operation
                    errors[message["id"]] = message["payload"][0]["message"]
                    ended.add(message["id"])
                elif message["type"] == "complete":
                    assert message["id"] in errors, message
                    ended.add(message["id"])
                else:
                    assert message["type"] == "next", message
                    assert message["payload"].get("data") is None, message
                    errors[message["id"]] = message["payload"]["errors"][0]["message"]
        assert "Invalid Product ID" in errors["bad"]
        assert "Invalid Product ID" in errors["wrong-type"]

        await go_live([subscriber], product, lambda: bump(db, product_id))
        stock = await bump(db, product_id, -4)
        update = await subscriber.update(2, op_id="good")
        assert (update["productId"], update["stock"]) == (product, stock)
    finally:
        await subscriber.close()


async def test_inactive_products_are_streamed_to_admins_only(db, servers):
    hidden_id, hidden = await add_product(db, stock=10, active=False)
    shown_id, shown = await add_product(db, stock=10)
    token = await admin_token(db, servers.a)
    admin = await Subscriber.open(servers.a.ws_url, token=token)
    anonymous = await Subscriber.open(servers.a.ws_url)
    try:
        for subscriber in (admin, anonymous):
            await subscriber.subscribe("p", [hidden, shown])
        await go_live([admin, anonymous], shown, lambda: bump(db, shown_id))

        hidden_stock = await bump(db, hidden_id, -1)
        shown_stock = await bump(db, shown_id, -1)

        first = await admin.update(2, op_id="p")
        assert (first["productId"], first["stock"]) == (hidden, hidden_stock)
        assert first["product"]["active"] is False
        second = await admin.update(2, op_id="p")
        assert (second["productId"], second["stock"]) == (shown, shown_stock)

        only = await anonymous.update(2, op_id="p")
        assert (only["productId"], only["stock"]) == (shown, shown_stock)
        await anonymous.nothing_more(0.5)
        assert hidden not in {u["productId"] for u in anonymous.received}
    finally:
        await admin.close()
        await anonymous.close()


async def test_cross_origin_handshakes_only_from_allowed_origins(servers):
    with pytest.raises(InvalidStatus) as refused:
        await asyncio.wait_for(
            connect(servers.b.ws_url, subprotocols=[TRANSPORT_WS], origin="https://evil.example"),
            5,
        )
    assert refused.value.response.status_code == 403

    # Also refused on a server that allows no cross-origin pages at all.
    with pytest.raises(InvalidStatus):
        await asyncio.wait_for(
            connect(servers.a.ws_url, subprotocols=[TRANSPORT_WS], origin=ALLOWED_ORIGIN), 5
        )

    for origin in (ALLOWED_ORIGIN, "https://other.example", f"http://127.0.0.1:{servers.b.port}"):
        subscriber = await Subscriber.open(servers.b.ws_url, origin=origin)
        await subscriber.close()
    no_origin = await Subscriber.open(servers.b.ws_url)  # not a browser
    await no_origin.close()


@pytest.mark.parametrize(
    ("timeout_ms", "outage"),
    [
        # Default settings, MongoDB back at once: the driver's own resume may suffice.
        (None, 0.0),
        # Server selection gives up after 0.3 s and MongoDB stays down for 3 s: the feed's
        # own retries must reopen the stream, from where it was, once MongoDB is back.
        ("300", 3.0),
    ],
    ids=["restart", "3s-outage"],
)
async def test_the_stream_recovers_after_mongodb_restarts(
    tmp_path, monkeypatch, timeout_ms, outage
):
    mongo = EmbeddedMongo(tmp_path / "db.sqlite", log_dir=tmp_path / "mongo")
    await asyncio.to_thread(mongo.start)
    port = mongo.port
    server = None
    subscriber = None
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo.uri, tz_aware=True)
    try:
        db = client["restart"]
        product_id, product = await add_product(db, stock=100)
        extra = {"SHOPGRAPH_MONGODB_TIMEOUT_MS": timeout_ms} if timeout_ms else {}
        env = server_env(mongo.uri, "restart", tmp_path / "srv", **extra)
        server = start_server(env, tmp_path / "srv", "srv")
        await asyncio.to_thread(wait_ready, server)
        subscriber = await Subscriber.open(server.ws_url)
        await subscriber.subscribe("r", [product])
        await go_live([subscriber], product, lambda: bump(db, product_id))

        await client.close()  # its connections die with the server
        await asyncio.to_thread(mongo.stop)
        await asyncio.sleep(outage)
        # The same file on the same port, as after a crash or an upgrade.
        monkeypatch.setattr(embedded_module, "free_port", lambda host="127.0.0.1": port)
        await asyncio.to_thread(mongo.start)
        assert mongo.port == port

        client = AsyncMongoClient(mongo.uri, tz_aware=True)
        db = client["restart"]
        sent = time.monotonic()
        stock = await asyncio.wait_for(bump(db, product_id, -6), 15)
        try:
            update = await subscriber.until_stock(product, stock, 10)
        except TimeoutError:
            raise AssertionError(
                "a change made after MongoDB came back never reached the subscriber; "
                f"server log:\n{server.output()}"
            ) from None
        recovered = time.monotonic() - sent
        assert update["productId"] == product
        LATENCIES[f"first update after a MongoDB restart (outage {outage:.0f} s)"] = recovered
        assert recovered < 8, server.output()

        # And it keeps streaming.
        sent = time.monotonic()
        stock = await bump(db, product_id, -1)
        await subscriber.until_stock(product, stock, 2)
        LATENCIES[f"next update after the restart (outage {outage:.0f} s)"] = (
            time.monotonic() - sent
        )
    finally:
        if subscriber is not None:
            await subscriber.close()
        if server is not None:
            await asyncio.to_thread(stop_server, server)
        await client.close()
        await asyncio.to_thread(mongo.stop)


async def test_a_connection_holds_at_most_max_subscriptions_per_connection(db, servers):
    product_id, product = await add_product(db, stock=100)
    subscriber = await Subscriber.open(servers.a.ws_url)  # default: 20 per connection
    try:
        for n in range(1, 21):
            await subscriber.subscribe(str(n), [product])
        await subscriber.subscribe("21", [product])
        everyone = {str(n) for n in range(1, 21)}
        async with asyncio.timeout(5):
            while True:
                refused = await subscriber.message(5)
                if refused["type"] == "next" and refused["id"] in everyone:
                    continue  # the product's insert, streamed to a live subscription
                break
        assert (refused["type"], refused["id"]) == ("error", "21"), refused
        assert "limit" in refused["payload"][0]["message"]

        # The twenty others are all served, and "21" gets nothing.
        seen: set[str] = set()
        for _ in range(20):
            stock = await bump(db, product_id, -1)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    while seen != everyone:
                        message = await subscriber.message(0.5)
                        assert message["type"] == "next" and message["id"] in everyone, message
                        if message["payload"]["data"]["stockUpdated"]["stock"] == stock:
                            seen.add(message["id"])
            if seen == everyone:
                break
        assert seen == everyone
    finally:
        await subscriber.close()
