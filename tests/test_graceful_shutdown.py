"""SIGTERM to a real `shopgraph serve` in the middle of a burst of orders: it stops
accepting, finishes what it started, closes WebSockets with 1001 and a reason, stops its
background work between passes, and exits 0 within SHOPGRAPH_SHUTDOWN_SECONDS."""

import asyncio
import signal
import time
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from websockets.exceptions import ConnectionClosed

from shopgraph.checkout.mailer import Mailer
from shopgraph.datasources.client import Datasources
from shopgraph.server.background import Background
from shopgraph.server.going_away import GOING_AWAY_CODE, GOING_AWAY_REASON
from tests.conftest import create_user
from tests.factories import global_id, product_document
from tests.helpers import order_object_id, poll
from tests.live_stock_harness import Subscriber, server_env, stop_server, wait_ready
from tests.processes_harness import (
    Call,
    created_before,
    log_in,
    shop_until_refused,
    start_serve,
    units,
)

SHUTDOWN_SECONDS = 10
SHOPPERS = 30
STOCK = 100_000


async def test_sigterm_during_a_burst_of_orders_finishes_or_refuses_each_one(
    db, mongodb_target, tmp_path
):
    """Every call either completed (its order exists, its stock taken) or never started
    (no order, no stock taken); none is left half-done, and the stock adds up."""
    product = product_document(sku="BURST-1", stock=STOCK)
    await db.products.insert_one(product)
    await create_user(db, "buyer@shop.test", "buyer's password")
    uri, name = mongodb_target
    env = server_env(
        uri,
        name,
        tmp_path,
        SHOPGRAPH_SHUTDOWN_SECONDS=str(SHUTDOWN_SECONDS),
        SHOPGRAPH_BACKGROUND_TASKS="true",
        SHOPGRAPH_MAX_PENDING_ORDERS="100000",
        SHOPGRAPH_MAX_HELD_UNITS="1000000",
    )
    server = start_serve(env, tmp_path, "server")
    try:
        wait_ready(server)
        subscriber = await Subscriber.open(server.ws_url)
        await subscriber.subscribe("1", [global_id("Product", product["_id"])])
        token = await log_in(server.base, "buyer@shop.test", "buyer's password")
        calls: list[Call] = []
        shoppers = [
            asyncio.create_task(
                shop_until_refused(server.base, token, product["_id"], f"shopper-{n}", calls)
            )
            for n in range(SHOPPERS)
        ]
        assert await poll(lambda: _placed_at_least(db, 3 * SHOPPERS), seconds=60), server.output()
        signalled_at, signalled_on = time.monotonic(), datetime.now(UTC)
        server.process.send_signal(signal.SIGTERM)
        close_code, close_reason = await _closing_of(subscriber)
        await asyncio.wait_for(asyncio.gather(*shoppers), SHUTDOWN_SECONDS)
        exit_code = await asyncio.to_thread(server.process.wait, SHUTDOWN_SECONDS)
        exited_after = time.monotonic() - signalled_at
    finally:
        stop_server(server)

    assert exit_code == 0, server.output()
    assert exited_after < SHUTDOWN_SECONDS
    assert "Traceback" not in server.output()
    assert (close_code, close_reason) == (GOING_AWAY_CODE, GOING_AWAY_REASON)

    stored = {order["idempotencyKey"]: order async for order in db.orders.find({})}
    for call in calls:
        order = stored.get(call.key)
        if call.order is not None:  # completed: the order it was told of, with its stock
            assert order is not None and order["_id"] == order_object_id(call.order["id"]), call
            assert order["status"] == "PENDING" and units([order]) == call.quantity, order
        else:  # refused or never started: no order, no stock
            assert order is None, (call, order)
    assert not [order for order in stored.values() if order["status"] != "PENDING"]
    after = await db.products.find_one({"_id": product["_id"]})
    assert after["stock"] + units(list(stored.values())) == STOCK
    assert not after.get("holds"), after

    # The burst really straddled the signal: some calls under way when it came finished
    # after it, and every shopper's last call found the server gone.
    straddled = [
        call
        for call in calls
        if call.order is not None
        and created_before(stored[call.key], signalled_on)
        and call.answered_at is not None
        and call.answered_at > signalled_at
    ]
    assert straddled, "no call was under way at the signal"
    never_started = [call for call in calls if call.failure is not None]
    assert len(never_started) == SHOPPERS


async def _placed_at_least(db, count: int) -> bool:
    return await db.orders.count_documents({"status": "PENDING"}) >= count


async def _closing_of(subscriber: Subscriber) -> tuple[int | None, str | None]:
    """Reads the subscriber's updates until the server closes the socket."""
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(subscriber.ws.recv(), SHUTDOWN_SECONDS)
    return subscriber.ws.close_code, subscriber.ws.close_reason


# --- background work stops at a safe point ----------------------------------------------


async def test_a_pass_under_way_finishes_and_no_other_starts():
    background = Background()
    started, release = asyncio.Event(), asyncio.Event()
    passes: list[str] = []

    async def work() -> None:
        passes.append("started")
        started.set()
        await release.wait()
        passes.append("finished")

    background.every(0.001, work, "pass")
    await asyncio.wait_for(started.wait(), 5)
    background.wind_down()  # as at SIGTERM
    release.set()
    await background.stop(5)

    assert passes == ["started", "finished"]


async def test_a_pass_that_outlasts_the_deadline_is_cancelled():
    background = Background()
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    background.every(0.001, work, "stuck pass")
    await asyncio.wait_for(started.wait(), 5)
    began = time.monotonic()
    await background.stop(0.2)

    assert cancelled.is_set()
    assert time.monotonic() - began < 5


class _StoppingTransport:
    """Delivers, and asks the mailer to stop during its first delivery."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.mailer: Mailer | None = None

    async def send(self, message: EmailMessage) -> None:
        assert self.mailer is not None
        self.mailer.stop()
        self.sent.append(message["Message-ID"])


async def test_the_mailer_stops_after_the_message_it_is_sending(db):
    outbox = Datasources.for_database(db).outbox
    for n in range(3):
        await outbox.enqueue(
            f"message-{n}",
            {
                "messageId": f"<message-{n}@shop.test>",
                "to": f"buyer{n}@shop.test",
                "from": "shop@shop.test",
                "subject": "Your order",
                "text": "Thank you.",
            },
        )
    transport = _StoppingTransport()
    mailer = Mailer(outbox, transport, max_attempts=3)
    transport.mailer = mailer

    delivered = await mailer.send_due()

    assert delivered == 1 and len(transport.sent) == 1
    statuses = sorted([m["status"] async for m in db.outbox.find({})])
    assert statuses == ["PENDING", "PENDING", "SENT"]
