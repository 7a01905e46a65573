"""Live stock subscriptions hold no resources past their client: tasks, subscribers and
memory stay flat over many connections, buffers are bounded and coalescing, publishing
never waits, the per-connection limit and keep-alives work, and the in-process fallback
feeds subscribers when MongoDB cannot stream changes.

The WebSocket tests run the real app behind a real uvicorn server in the test's event
loop, so the tasks and memory measured are the server's own.
"""

import asyncio
import gc
import inspect
import json
import time
import tracemalloc
from collections.abc import Awaitable
from contextlib import suppress
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure
from pymongo.monitoring import CommandListener, CommandStartedEvent
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from shopgraph.datasources.client import Datasources
from shopgraph.live.broker import StockBroker, StockChange, Subscriber, Watched
from shopgraph.live.feed import StockFeed
from shopgraph.resolvers.context import Context
from shopgraph.server.fanout import Member
from tests.conftest import live_server
from tests.factories import global_id
from tests.helpers import LEGACY_WS, TRANSPORT_WS, add_product, eventually

STOCK_UPDATED = "subscription { stockUpdated { productId stock } }"
STOCK_UPDATED_OF = (
    "subscription Of($ids: [ID!]) { stockUpdated(productIds: $ids) { productId stock } }"
)
RECEIVE_TIMEOUT = 10.0  # generous: a change travels through MongoDB's change stream


# --- helpers ------------------------------------------------------------------------------


def ws_connect(url: str, protocol: str = TRANSPORT_WS) -> Any:
    # A generous handshake bound: a round opens 100 at once on a shared 2-core machine.
    return connect(url, subprotocols=[protocol], open_timeout=30, close_timeout=2)


# PyMongo runs each command's read in two short-lived tasks. The stock feeds keep a getMore
# in flight almost all the time, so counting those would make the total jump by two.
DRIVER_TASKS = {"PyMongoProtocol.read", "_poll_cancellation"}


def app_tasks() -> int:
    """Tasks alive now, without the driver's per-command ones."""
    return sum(
        1 for task in asyncio.all_tasks() if task.get_coro().__qualname__ not in DRIVER_TASKS
    )


async def receive(ws: ClientConnection, within: float = RECEIVE_TIMEOUT) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), within))


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def initialise(ws: ClientConnection) -> None:
    await send(ws, {"type": "connection_init", "payload": {}})
    assert await receive(ws, 5) == {"type": "connection_ack"}


async def subscribe(ws: ClientConnection, op_id: str, product_ids: list[str] | None = None) -> None:
    payload: dict[str, Any] = {"query": STOCK_UPDATED}
    if product_ids is not None:
        payload = {"query": STOCK_UPDATED_OF, "variables": {"ids": product_ids}}
    await send(ws, {"id": op_id, "type": "subscribe", "payload": payload})


def live_objects(kind: type) -> int:
    """Objects of `kind` still alive anywhere in the process."""
    gc.collect()
    return sum(isinstance(obj, kind) for obj in gc.get_objects())


def live_subscribers() -> int:
    """Subscribers still alive anywhere in the process (their buffers with them): the
    broker's own, and the members of shared subscriptions (server.fanout)."""
    return live_objects(Subscriber) + live_objects(Member)


def broker_of(app: Starlette) -> StockBroker:
    return app.state.stock_broker


async def insert_product(db: Any, stock: int = 1_000_000, **fields: Any) -> ObjectId:
    return (await add_product(db, stock=stock, **fields))["_id"]


def change(product_id: ObjectId, stock: int) -> StockChange:
    return StockChange(product_id, product_id, {"_id": product_id, "stock": stock, "active": True})


async def blocks(awaitable: Awaitable[Any], seconds: float = 0.05) -> bool:
    """True when `awaitable` does not finish within `seconds` (it is then cancelled)."""
    try:
        await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        return True
    return False


# --- 1. many connections leave nothing behind -----------------------------------------------

ROUNDS = 10  # of 100 clients, after a warm-up round of 100: 1,100 cycles
CLIENTS_PER_ROUND = 100


async def one_client(url: str, index: int, subscribed: asyncio.Event, expected: dict) -> None:
    """Connect, subscribe, get one update, leave: half send `complete` and close; the other
    half leave abruptly, without `complete`: a close frame only, or the TCP connection
    dropped without one."""
    async with ws_connect(url) as ws:
        await initialise(ws)
        await subscribe(ws, "1")
        await subscribed.wait()
        message = await receive(ws)
        assert message["type"] == "next", message
        assert message["payload"]["data"]["stockUpdated"] == expected, message
        style = index % 4
        if style in (0, 2):
            await send(ws, {"id": "1", "type": "complete"})
            await ws.close()
        elif style == 1:
            await ws.close()  # a close frame, but no `complete`
        else:
            ws.transport.abort()  # gone without a word


async def one_round(app: Starlette, url: str, db: Any, product_id: ObjectId, stock: int) -> None:
    broker = broker_of(app)
    # The last round's clients are gone, but the server may still be tearing some down.
    await eventually(lambda: broker.subscriber_count == 0, 5, "last round's subscribers freed")
    subscribed = asyncio.Event()
    expected = {"productId": global_id("Product", product_id), "stock": stock}
    clients = [
        asyncio.create_task(one_client(url, i, subscribed, expected))
        for i in range(CLIENTS_PER_ROUND)
    ]
    try:
        await eventually(
            lambda: (
                broker.subscriber_count == CLIENTS_PER_ROUND or any(task.done() for task in clients)
            ),
            RECEIVE_TIMEOUT,
            f"{CLIENTS_PER_ROUND} subscribers registered",
        )
        subscribed.set()
        await db.products.update_one({"_id": product_id}, {"$set": {"stock": stock}})
        await asyncio.wait_for(asyncio.gather(*clients), RECEIVE_TIMEOUT * 2)
    finally:
        for task in clients:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)


async def settled(app: Starlette, task_bound: int | None = None) -> tuple[int, int, int]:
    """(tasks, broker subscribers, traced bytes) once the server has let go of the round."""
    broker = broker_of(app)
    await eventually(lambda: broker.subscriber_count == 0, 5, "no subscribers left")
    if task_bound is not None:
        # Closing handshakes may still be finishing: give them a bounded moment.
        with suppress(AssertionError):
            await eventually(lambda: app_tasks() <= task_bound, 5, "tasks ended")
    await asyncio.sleep(0.3)
    gc.collect()
    return app_tasks(), broker.subscriber_count, tracemalloc.get_traced_memory()[0]


async def test_a_thousand_connect_subscribe_disconnect_cycles_leave_no_tasks_or_memory(
    db, make_settings
):
    product_id = await insert_product(db, stock=10_000)
    # Relative to what is alive already (a failed test's traceback may hold some).
    subscribers_before, contexts_before = live_subscribers(), live_objects(Context)
    tracing_here = not tracemalloc.is_tracing()
    if tracing_here:
        tracemalloc.start()
    try:
        # Every client of a round comes from this one address.
        settings = make_settings(max_ws_per_client=CLIENTS_PER_ROUND)
        async with live_server(settings) as (app, url):
            started = time.monotonic()
            await one_round(app, url, db, product_id, 9_999)
            warm_tasks, warm_subscribers, warm_memory = await settled(app)
            for n in range(ROUNDS):
                await one_round(app, url, db, product_id, 9_998 - n)
            end_tasks, end_subscribers, end_memory = await settled(app, warm_tasks + 5)
            elapsed = time.monotonic() - started
            end_subscriber_objects = live_subscribers() - subscribers_before
            end_contexts = live_objects(Context) - contexts_before  # one per connection
    finally:
        if tracing_here:
            tracemalloc.stop()

    growth = end_memory - warm_memory
    print(
        f"\n{(ROUNDS + 1) * CLIENTS_PER_ROUND} cycles in {elapsed:.1f} s; "
        f"tasks {warm_tasks} -> {end_tasks}; broker subscribers {warm_subscribers} -> "
        f"{end_subscribers}; live Subscribers {end_subscriber_objects}, contexts {end_contexts}; "
        f"traced memory {warm_memory / 1e6:.2f} MB -> {end_memory / 1e6:.2f} MB "
        f"(growth {growth / 1e6:+.3f} MB)"
    )
    assert end_subscribers == 0
    assert end_subscriber_objects == 0
    assert end_contexts == 0
    assert end_tasks <= warm_tasks + 5, (warm_tasks, end_tasks)
    # Measured growth is tens of kB; 1 MB is 1 kB per connection, less than what a
    # connection's context, tasks or socket buffers would leave behind.
    assert growth < 1_000_000, growth


# --- 2. a leaving subscriber is freed at once -----------------------------------------------


@pytest.mark.parametrize("leaving", ["complete", "close", "abort"])
async def test_a_subscriber_that_leaves_frees_its_buffer_and_task_at_once(
    db, make_settings, leaving
):
    product_id = await insert_product(db, stock=50)
    async with live_server(make_settings()) as (app, url):
        broker = broker_of(app)
        # Another client stays subscribed throughout: the count must drop back to it.
        async with ws_connect(url) as stayer:
            await initialise(stayer)
            await subscribe(stayer, "stay")
            await eventually(lambda: broker.subscriber_count == 1, 5, "stayer subscribed")
            await asyncio.sleep(0.1)
            gc.collect()
            tasks_before = app_tasks()
            previous = broker.subscriber_count
            alive = live_subscribers()

            async with ws_connect(url) as leaver:
                await initialise(leaver)
                await subscribe(leaver, "1")
                await eventually(
                    lambda: broker.subscriber_count == previous + 1, 5, "leaver subscribed"
                )
                assert live_subscribers() == alive + 1
                await db.products.update_one({"_id": product_id}, {"$set": {"stock": 49}})
                for ws in (stayer, leaver):
                    assert (await receive(ws))["payload"]["data"]["stockUpdated"]["stock"] == 49

                if leaving == "complete":  # the socket stays open; only the operation ends
                    await send(leaver, {"id": "1", "type": "complete"})
                elif leaving == "close":
                    await leaver.close()
                else:
                    leaver.transport.abort()
                took = await eventually(
                    lambda: broker.subscriber_count == previous, 1.0, "subscriber freed"
                )
                print(f"\n{leaving}: subscriber freed after {took * 1000:.0f} ms")
                assert live_subscribers() == alive
                if leaving == "complete":
                    # Nothing more arrives for the completed operation on the open socket.
                    await db.products.update_one({"_id": product_id}, {"$set": {"stock": 48}})
                    assert (await receive(stayer))["payload"]["data"]["stockUpdated"]["stock"] == 48
                    assert await blocks(leaver.recv(), 0.3)

            # Its tasks (server and client side) are gone too, within the same short bound.
            await eventually(lambda: app_tasks() <= tasks_before, 1.0, "leaver's tasks ended")
            # The stayer was not disturbed.
            await db.products.update_one({"_id": product_id}, {"$set": {"stock": 47}})
            message = await receive(stayer)
            assert message["id"] == "stay"
            assert message["payload"]["data"]["stockUpdated"]["stock"] == 47


# --- 3. bounded, coalescing buffers and a publish that never waits ---------------------------


async def test_many_changes_of_one_product_leave_only_the_newest_pending():
    broker = StockBroker(3)
    product = ObjectId()
    async with broker.subscribe(Watched()) as subscriber:
        for stock in range(1, 11):
            broker.publish(change(product, stock))
        first = await asyncio.wait_for(subscriber.next(), 1)
        assert (first.product_id, first.product["stock"]) == (product, 10)
        assert await blocks(subscriber.next()), "more than one value was pending"


async def test_changes_of_more_products_than_capacity_keep_the_newest_products():
    broker = StockBroker(3)
    products = [ObjectId() for _ in range(5)]
    async with broker.subscribe(Watched()) as subscriber:
        for stock, product in enumerate(products):
            broker.publish(change(product, stock))
        received = [await asyncio.wait_for(subscriber.next(), 1) for _ in range(3)]
        assert [(c.product_id, c.product["stock"]) for c in received] == [
            (products[2], 2),
            (products[3], 3),
            (products[4], 4),
        ]
        assert await blocks(subscriber.next()), "more than 3 values were pending"


async def test_a_newer_value_of_a_pending_product_makes_it_the_newest():
    """Coalescing moves the product to the back: it is not the oldest any more."""
    broker = StockBroker(3)
    a, b, c, d = (ObjectId() for _ in range(4))
    async with broker.subscribe(Watched()) as subscriber:
        for product, stock in ((a, 1), (b, 1), (c, 1), (a, 2), (d, 1)):
            broker.publish(change(product, stock))
        received = [await asyncio.wait_for(subscriber.next(), 1) for _ in range(3)]
        assert [(x.product_id, x.product["stock"]) for x in received] == [(c, 1), (a, 2), (d, 1)]


async def test_publish_never_waits_for_a_subscriber_that_stopped_reading():
    assert not inspect.iscoroutinefunction(StockBroker.publish)
    broker = StockBroker(3)
    products = [ObjectId() for _ in range(7)]
    latest: dict[ObjectId, int] = {}
    total = 10_000

    async with broker.subscribe(Watched()) as stalled, broker.subscribe(Watched()) as reader:

        async def read() -> None:
            while True:
                got = await reader.next()
                latest[got.product_id] = got.product["stock"]

        reading = asyncio.create_task(read())
        try:
            started = time.monotonic()
            for n in range(total):
                result = broker.publish(change(products[n % len(products)], n))
                assert result is None  # not a coroutine or future left to await
                if n % 500 == 0:
                    await asyncio.sleep(0)  # let the reader read now and then
            publishing = time.monotonic() - started
            # Capacity 3: what the reader had not read yet when publishing ended is the
            # newest value of the 3 products changed last, the very last change included.
            newest = {products[n % len(products)]: n for n in range(total - 3, total)}
            await eventually(
                lambda: all(latest.get(p) == s for p, s in newest.items()),
                1.0,
                "the reader got the newest values",
            )
            assert max(latest.values()) == total - 1
        finally:
            reading.cancel()
            with suppress(asyncio.CancelledError):
                await reading
        print(f"\n{total} publishes with a stalled subscriber took {publishing * 1000:.1f} ms")
        assert publishing < 2.0
        # The stalled subscriber holds its bounded buffer: the newest value of the 3 products
        # changed last, nothing older.
        held = [await asyncio.wait_for(stalled.next(), 1) for _ in range(3)]
        assert [(x.product_id, x.product["stock"]) for x in held] == [
            (products[n % len(products)], n) for n in range(total - 3, total)
        ]
        assert await blocks(stalled.next())
    assert broker.subscriber_count == 0


async def test_a_subscriber_gets_only_the_products_it_asked_for_and_leaving_frees_it():
    broker = StockBroker(3)
    wanted, other = ObjectId(), ObjectId()
    with pytest.raises(RuntimeError):
        async with broker.subscribe(Watched(frozenset([wanted]))) as subscriber:
            assert broker.subscriber_count == 1
            broker.publish(change(other, 1))
            broker.publish(change(wanted, 2))
            got = await asyncio.wait_for(subscriber.next(), 1)
            assert (got.product_id, got.product["stock"]) == (wanted, 2)
            assert await blocks(subscriber.next())
            raise RuntimeError("the resolver failed")
    assert broker.subscriber_count == 0
    broker.publish(change(wanted, 3))  # no one left to offer it to


# --- 4. at most max_subscriptions_per_connection operations per socket ----------------------


async def test_a_subscription_past_the_limit_gets_an_error_and_the_others_keep_working(
    db, make_settings
):
    product_id = await insert_product(db, stock=100)
    async with live_server(make_settings(max_subscriptions_per_connection=3)) as (app, url):
        broker = broker_of(app)
        async with ws_connect(url) as ws:
            await initialise(ws)
            for op_id in ("1", "2", "3"):
                await subscribe(ws, op_id)
            await eventually(lambda: broker.subscriber_count == 3, 5, "three subscribed")

            # Strawberry (graphql-transport-ws) refuses the 4th with an `error` message for
            # that operation and keeps the socket open.
            await subscribe(ws, "4")
            assert await receive(ws, 5) == {
                "id": "4",
                "type": "error",
                "payload": [{"message": "Subscription limit reached"}],
            }
            await asyncio.sleep(0.1)
            assert broker.subscriber_count == 3

            await db.products.update_one({"_id": product_id}, {"$set": {"stock": 99}})
            messages = [await receive(ws) for _ in range(3)]
            assert sorted(m["id"] for m in messages) == ["1", "2", "3"]
            for message in messages:
                assert message["type"] == "next"
                assert message["payload"]["data"]["stockUpdated"] == {
                    "productId": global_id("Product", product_id),
                    "stock": 99,
                }

            # Completing one frees a slot: a new subscription is accepted and served.
            await send(ws, {"id": "1", "type": "complete"})
            await eventually(lambda: broker.subscriber_count == 2, 1, "completed one freed")
            await subscribe(ws, "5")
            await eventually(lambda: broker.subscriber_count == 3, 5, "fifth subscribed")
            await db.products.update_one({"_id": product_id}, {"$set": {"stock": 98}})
            messages = [await receive(ws) for _ in range(3)]
            assert sorted(m["id"] for m in messages) == ["2", "3", "5"]
            assert {m["payload"]["data"]["stockUpdated"]["stock"] for m in messages} == {98}


# --- 5. keep-alive ---------------------------------------------------------------------------


async def test_legacy_graphql_ws_gets_keep_alives_at_the_configured_interval(make_settings):
    async with (
        live_server(make_settings(ws_keep_alive_seconds=0.2)) as (_, url),
        ws_connect(url, LEGACY_WS) as ws,
    ):
        await send(ws, {"type": "connection_init", "payload": {}})
        assert await receive(ws, 5) == {"type": "connection_ack"}
        # Counted over a window rather than timed one by one: a pause in this shared event
        # loop can make two arrive together, but not change how many were sent.
        count = 0
        deadline = time.monotonic() + 1.2
        with suppress(TimeoutError):
            while (left := deadline - time.monotonic()) > 0:
                assert await receive(ws, left) == {"type": "ka"}
                count += 1
        print(f"\n{count} keep-alives in 1.2 s")
        assert 3 <= count <= 8, count  # six at 0.2 s; none at the default interval


async def test_graphql_transport_ws_answers_ping_with_pong(make_settings):
    async with live_server(make_settings()) as (_, url), ws_connect(url) as ws:
        await initialise(ws)
        await send(ws, {"type": "ping"})
        assert await receive(ws, 5) == {"type": "pong"}
        await send(ws, {"type": "ping", "payload": {"at": 1}})
        assert await receive(ws, 5) == {"type": "pong"}


async def test_legacy_graphql_ws_subscription_is_freed_on_stop(db, make_settings):
    product_id = await insert_product(db, stock=5)
    async with live_server(make_settings()) as (app, url), ws_connect(url, LEGACY_WS) as ws:
        broker = broker_of(app)
        await send(ws, {"type": "connection_init", "payload": {}})
        assert await receive(ws, 5) == {"type": "connection_ack"}
        await send(ws, {"id": "1", "type": "start", "payload": {"query": STOCK_UPDATED}})
        await eventually(lambda: broker.subscriber_count == 1, 5, "subscribed")
        await db.products.update_one({"_id": product_id}, {"$set": {"stock": 4}})
        while (message := await receive(ws))["type"] == "ka":
            pass
        assert message == {
            "type": "data",
            "id": "1",
            "payload": {
                "data": {
                    "stockUpdated": {"productId": global_id("Product", product_id), "stock": 4}
                },
                "extensions": {"cost": {"requestedQueryCost": 2, "maximumAvailable": 10000}},
            },
        }
        await send(ws, {"id": "1", "type": "stop"})
        await eventually(lambda: broker.subscriber_count == 0, 1, "stopped subscriber freed")


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_socket_that_never_initialises_is_closed_and_freed(make_settings, protocol):
    settings = make_settings(ws_connection_init_timeout_seconds=0.3)
    async with live_server(settings) as (_, url):
        await asyncio.sleep(0.1)
        tasks_before = app_tasks()
        async with ws_connect(url, protocol) as ws:
            started = time.monotonic()
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            waited = time.monotonic() - started
        assert ws.close_code == 4408
        assert ws.close_reason == "Connection initialisation timeout"
        assert 0.15 <= waited <= 2.0, waited  # timed from the handshake's end, not its start
        await eventually(lambda: app_tasks() <= tasks_before, 1.0, "tasks ended")


# --- 6. the in-process fallback --------------------------------------------------------------

UNSUPPORTED = OperationFailure("The $changeStream stage is only supported on replica sets", 40573)


class GetMores(CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: CommandStartedEvent) -> None:
        self.count += event.command_name == "getMore"

    def succeeded(self, event: object) -> None:
        pass

    def failed(self, event: object) -> None:
        pass


async def test_an_idle_feed_does_not_flood_the_database_with_getmores(db, mongodb_target):
    """MongoDB holds an empty getMore open for a while; a server that answers it at once
    must not be asked again at once, or an idle store keeps a core busy."""
    uri, name = mongodb_target
    product_id = await insert_product(db, stock=10)
    get_mores = GetMores()
    client: AsyncMongoClient[Any] = AsyncMongoClient(uri, event_listeners=[get_mores])
    broker = StockBroker(10)
    feed = StockFeed(Datasources.for_database(client[name]), broker)
    running = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(feed.started.wait(), 5)
        async with broker.subscribe(Watched(frozenset([product_id]))) as subscriber:
            await asyncio.sleep(0.2)
            get_mores.count = 0
            await asyncio.sleep(1.0)
            idle = get_mores.count
            # Still live: a change is seen promptly.
            await db.products.update_one({"_id": product_id}, {"$set": {"stock": 9}})
            got = await asyncio.wait_for(subscriber.next(), 2)
            assert got.product["stock"] == 9
    finally:
        feed.stop()
        running.cancel()
        with suppress(asyncio.CancelledError):
            await running
        await client.close()
    print(f"\n{idle} getMores in an idle second")
    assert idle <= 40, idle  # about 20; answering each at once would be over a thousand


async def test_the_fallback_feeds_subscribers_from_this_process_writes(db):
    product_id = await insert_product(db, stock=10)
    datasources = Datasources.for_database(db)
    broker = StockBroker(10)
    feed = StockFeed(datasources, broker)

    feed._fall_back(UNSUPPORTED)

    assert feed.fallback is True
    assert feed.started.is_set()
    async with broker.subscribe(Watched(frozenset([product_id]))) as subscriber:
        after = await datasources.products.adjust_stock(product_id, None, -1, 10**9)
        assert after is not None and after["stock"] == 9
        got = await asyncio.wait_for(subscriber.next(), 1)
        assert got.product_id == product_id
        assert got.product["stock"] == 9

        # A change the range refuses changes nothing and publishes nothing.
        assert await datasources.products.adjust_stock(product_id, None, -100, 10**9) is None
        assert await blocks(subscriber.next())

        await datasources.products.adjust_stock(product_id, None, +3, 10**9)
        got = await asyncio.wait_for(subscriber.next(), 1)
        assert got.product["stock"] == 12

    # A product deleted through this process is no longer remembered.
    assert feed.last_stock[product_id] == {product_id: 12}
    assert await datasources.products.delete(product_id)
    assert product_id not in feed.last_stock


async def test_the_feed_falls_back_when_the_server_cannot_open_a_change_stream(db):
    product_id = await insert_product(db, stock=10)
    datasources = Datasources.for_database(db)
    broker = StockBroker(10)
    feed = StockFeed(datasources, broker)

    async def no_change_streams(resume_after: object) -> object:
        raise UNSUPPORTED

    datasources.products.watch_writes = no_change_streams  # type: ignore[method-assign]
    await asyncio.wait_for(feed.run(), 2)  # returns: no retry loop against a server that can't

    assert feed.fallback is True
    assert feed.started.is_set()
    async with broker.subscribe(Watched()) as subscriber:
        await datasources.products.adjust_stock(product_id, None, -2, 10**9)
        got = await asyncio.wait_for(subscriber.next(), 1)
        assert (got.product_id, got.product["stock"]) == (product_id, 8)


# --- 7. the feed's memory -------------------------------------------------------------------


async def test_the_feed_forgets_the_stock_of_a_deleted_product(db):
    """The feed remembers each product's last stock to skip writes that left it alone;
    a deleted product must not stay remembered, or the feed grows with every product
    the store ever had."""
    datasources = Datasources.for_database(db)
    feed = StockFeed(datasources, StockBroker(10))
    running = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(feed.started.wait(), 5)
        assert feed.fallback is False
        kept = await insert_product(db, stock=5)
        gone = await insert_product(db, stock=7)
        await eventually(
            lambda: (
                feed.last_stock.get(kept) == {kept: 5} and feed.last_stock.get(gone) == {gone: 7}
            ),
            5,
            "both products seen",
        )

        await db.products.delete_one({"_id": gone})

        await eventually(lambda: gone not in feed.last_stock, 5, "the deleted product forgotten")
        assert feed.last_stock[kept] == {kept: 5}
    finally:
        feed.stop()
        running.cancel()
        with suppress(asyncio.CancelledError):
            await running
