"""A cancelled order's stock comes back exactly once, however many sweepers finish it.

Each sweeper here has its own MongoDB client, datasources and order service, as two
server processes would; they share only the database.
"""

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener, CommandStartedEvent

from shopgraph.checkout.orders import Orders
from shopgraph.clock import now_ms
from tests.helpers import (
    LONG_AGO,
    add_products,
    assert_no_stock_markers,
    order_oid,
    place_pending,
    stock_of,
    stored,
    stored_lines,
    sweeper,
)

ROUNDS = 30
CANCELLED_LONG_AGO_MS = int(LONG_AGO.timestamp() * 1000)


def interrupted_cancellation(items: list[tuple[dict[str, Any], int]]) -> dict[str, Any]:
    """An order as a process leaves it that died right after cancelling it: CANCELLED,
    its stock still owed, long enough ago for any sweep to take it up."""
    lines = stored_lines(items)
    total = sum(item["lineTotal"] for item in lines)
    return {
        "_id": ObjectId(),
        "userId": ObjectId(),
        "number": random.randrange(10**9),
        "items": lines,
        "subtotal": total,
        "total": total,
        "currency": "USD",
        "status": "CANCELLED",
        "cartKey": "interrupted",
        "createdAt": LONG_AGO,
        "updatedAt": LONG_AGO,
        "cancelReason": "cancelled by request",
        "cancelledAtMs": CANCELLED_LONG_AGO_MS,
        "stockReturn": "PENDING",
    }


async def cancel_interrupted(db, items: list[tuple[dict[str, Any], int]]) -> dict[str, Any]:
    """The order took its stock, was cancelled, and none of it came back yet."""
    for product, quantity in items:
        await db.products.update_one({"_id": product["_id"]}, {"$inc": {"stock": -quantity}})
    order = interrupted_cancellation(items)
    await db.orders.insert_one(order)
    return order


class CommandCount(CommandListener):
    """Counts the commands a client sent, so another task can start after the n-th."""

    def __init__(self) -> None:
        self.sent = 0
        self._waiting: list[tuple[int, asyncio.Event]] = []

    def started(self, event: CommandStartedEvent) -> None:
        self.sent += 1
        for target, reached in self._waiting:
            if self.sent >= target:
                reached.set()

    def succeeded(self, event: object) -> None:
        pass

    def failed(self, event: object) -> None:
        pass

    def reached(self, more: int) -> asyncio.Event:
        """Set once `more` further commands were sent."""
        reached = asyncio.Event()
        if more <= 0:
            reached.set()
        self._waiting.append((self.sent + more, reached))
        return reached


async def overlapping(
    first: Awaitable[None], first_is_under_way: asyncio.Event, second: Awaitable[None]
) -> None:
    """Runs both; the second starts once the first is under way (or done)."""
    first_task = asyncio.ensure_future(first)
    under_way = asyncio.ensure_future(first_is_under_way.wait())
    await asyncio.wait([first_task, under_way], return_when=asyncio.FIRST_COMPLETED)
    under_way.cancel()
    await asyncio.gather(first_task, second)


@pytest.fixture
async def own_clients(mongodb_target) -> AsyncIterator[Callable[..., Any]]:
    """`own_database(*listeners)`: the test database through a MongoDB client of its own."""
    uri, name = mongodb_target
    clients: list[AsyncMongoClient[Any]] = []

    def own_database(*listeners: CommandListener) -> Any:
        client: AsyncMongoClient[Any] = AsyncMongoClient(
            uri, tz_aware=True, event_listeners=list(listeners)
        )
        clients.append(client)
        return client[name]

    yield own_database
    for client in clients:
        await client.close()


async def test_two_sweepers_at_once_return_an_interrupted_cancellations_stock_once(db, own_clients):
    """Rounds of two sweeps that overlap, the second starting after a varying number of
    the first one's commands (none, in the first round), so that it reads the order at
    every point of the first one's return."""
    counted = CommandCount()
    first, second = own_clients(counted), own_clients()
    shuffle = random.Random(20261209)
    for round_ in range(ROUNDS):
        products = await add_products(db, shuffle.randint(2, 4), stock=100)
        items = [(product, shuffle.randint(1, 9)) for product in products]
        order = await cancel_interrupted(db, items)
        await overlapping(
            sweeper(first).recover(), counted.reached(round_ % 12), sweeper(second).recover()
        )

        for product, _ in items:
            assert await stock_of(db, product) == 100, f"round {round_}"
        stored = await db.orders.find_one({"_id": order["_id"]})
        assert stored["stockReturn"] == "DONE", f"round {round_}"
        await assert_no_stock_markers(db)


async def test_two_sweepers_returning_many_orders_of_the_same_products_return_each_once(
    db, own_clients
):
    """Each finished return moves its products' epochs on while the other orders' returns
    to the same products are under way: those try again, and still return only once."""
    counted = CommandCount()
    first, second = own_clients(counted), own_clients()
    shuffle = random.Random(7)
    for round_ in range(10):
        mug, pen, cup = await add_products(db, 3, stock=1000)
        orders = [
            await cancel_interrupted(db, [(mug, shuffle.randint(1, 9)), (pen, 1)]) for _ in range(6)
        ] + [await cancel_interrupted(db, [(cup, 2), (mug, 1), (pen, 3)]) for _ in range(3)]

        await overlapping(
            sweeper(first).recover(), counted.reached(round_ * 4), sweeper(second).recover()
        )

        stock = [await stock_of(db, product) for product in (mug, pen, cup)]
        assert stock == [1000, 1000, 1000], f"round {round_}"
        for order in orders:
            assert (await db.orders.find_one({"_id": order["_id"]}))["stockReturn"] == "DONE"
        await assert_no_stock_markers(db)


def stall_before_giving_back(service: Orders, nth: int = 1) -> tuple[asyncio.Event, asyncio.Event]:
    """(stalled, resume): the service's return of stock waits right before its `nth` write
    to a product until `resume` is set; `stalled` says it got there."""
    holds = service.checkout.datasources.stock_holds
    give_back = holds.give_back
    stalled, resume = asyncio.Event(), asyncio.Event()
    writes = 0

    async def stalling(*args: Any, **kwargs: Any) -> Any:
        nonlocal writes
        writes += 1
        if writes == nth:
            stalled.set()
            await resume.wait()
        return await give_back(*args, **kwargs)

    holds.give_back = stalling  # type: ignore[method-assign]
    return stalled, resume


async def finish_while_stalled(
    stalled_sweep: Awaitable[None],
    stalled: asyncio.Event,
    resume: asyncio.Event,
    other: Awaitable[None],
) -> None:
    """Runs `stalled_sweep` until it stalls, `other` to its end, then the stalled one on."""
    paused = asyncio.ensure_future(stalled_sweep)
    await asyncio.wait_for(stalled.wait(), 10)
    await other
    resume.set()
    await asyncio.wait_for(paused, 10)


@pytest.mark.parametrize("stalls_before", [1, 2], ids=["first-product", "second-product"])
async def test_a_sweeper_that_stalls_while_another_finishes_the_return_gives_nothing_back(
    db, own_clients, stalls_before
):
    """The worst order: one sweeper has read the order as owing its stock and is about to
    give a product its units back when it stalls; another returns the rest, records the
    return and removes its markers; then the first goes on."""
    mug, pen = await add_products(db, 2, stock=100)
    order = await cancel_interrupted(db, [(mug, 3), (pen, 5)])
    slow, fast = sweeper(own_clients()), sweeper(own_clients())
    stalled, resume = stall_before_giving_back(slow, stalls_before)

    await finish_while_stalled(slow.recover(), stalled, resume, fast.recover())

    assert (await stock_of(db, mug), await stock_of(db, pen)) == (100, 100)
    assert (await db.orders.find_one({"_id": order["_id"]}))["stockReturn"] == "DONE"
    await assert_no_stock_markers(db)


async def test_a_cancellation_that_stalls_past_the_grace_is_not_returned_twice(
    db, gql, customer, own_clients
):
    """The process cancelling an order stalls before giving its stock back, past the grace
    period, so another process's sweep finishes the return meanwhile."""
    [mug] = await add_products(db, 1, stock=100)
    order_id = order_oid(await place_pending(gql, customer, (mug, 4)))
    assert await stock_of(db, mug) == 96
    cancelling, other_process = sweeper(own_clients()), sweeper(own_clients())
    stalled, resume = stall_before_giving_back(cancelling)

    async def sweep_after_the_grace() -> None:
        await db.orders.update_one(
            {"_id": order_id}, {"$set": {"cancelledAtMs": CANCELLED_LONG_AGO_MS}}
        )
        await other_process.recover()

    await finish_while_stalled(
        cancelling.cancel(order_id, "cancelled by request"),
        stalled,
        resume,
        sweep_after_the_grace(),
    )

    assert await stock_of(db, mug) == 100
    assert (await db.orders.find_one({"_id": order_id}))["stockReturn"] == "DONE"
    await assert_no_stock_markers(db)


async def test_a_sweep_after_a_crash_mid_return_returns_only_what_is_missing(db, own_clients):
    """The process died after giving back one product's units and before the other's."""
    mug, pen = await add_products(db, 2, stock=100)
    order = await cancel_interrupted(db, [(mug, 3), (pen, 5)])
    crashing = sweeper(own_clients())
    holds = crashing.checkout.datasources.stock_holds
    give_back = holds.give_back
    calls: list[ObjectId] = []

    async def dies_on_the_second_product(product: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(product["_id"])
        if len(calls) == 2:
            raise ConnectionError("the process died")
        return await give_back(product, *args, **kwargs)

    holds.give_back = dies_on_the_second_product  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await crashing.recover()
    returned_before_dying = {mug["_id"]: (100, 95), pen["_id"]: (97, 100)}[calls[0]]
    assert (await stock_of(db, mug), await stock_of(db, pen)) == returned_before_dying

    await sweeper(own_clients()).recover()
    await sweeper(own_clients()).recover()

    assert (await stock_of(db, mug), await stock_of(db, pen)) == (100, 100)
    assert (await db.orders.find_one({"_id": order["_id"]}))["stockReturn"] == "DONE"
    await assert_no_stock_markers(db)


async def test_the_sweep_removes_the_markers_of_a_recorded_return_and_keeps_an_owed_ones(db):
    """One process died between recording a return and removing its markers: only the
    markers are left, and go. Another is returning an order right now: its markers stay."""
    mug, pen = await add_products(db, 2, stock=100)
    finished = interrupted_cancellation([(mug, 3), (pen, 5)])
    finished["stockReturn"] = "DONE"
    await db.orders.insert_one(finished)
    under_way = await cancel_interrupted(db, [(mug, 1), (pen, 2)])
    await db.orders.update_one({"_id": under_way["_id"]}, {"$set": {"cancelledAtMs": now_ms()}})
    # The live return gave the mug its unit back, at a time the sweep takes as stale.
    await db.products.update_one(
        {"_id": mug["_id"]},
        {"$inc": {"stock": 1}, "$set": {f"returns.{under_way['_id']}": CANCELLED_LONG_AGO_MS}},
    )
    for product in (mug, pen):
        await db.products.update_one(
            {"_id": product["_id"]},
            {"$set": {f"returns.{finished['_id']}": CANCELLED_LONG_AGO_MS}},
        )

    await sweeper(db, grace=timedelta(minutes=2)).recover()

    assert (await stock_of(db, mug), await stock_of(db, pen)) == (100, 98)
    assert [(await stored(db, product)).get("returns") for product in (mug, pen)] == [
        {str(under_way["_id"]): CANCELLED_LONG_AGO_MS},
        {},
    ]

    await sweeper(db).recover()

    assert (await stock_of(db, mug), await stock_of(db, pen)) == (100, 100)
    await assert_no_stock_markers(db)
