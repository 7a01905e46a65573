"""Holds run out: one sweep pass expires every hold that is due, however large the backlog,
reading it in bounded batches, and several sweepers share a backlog without doubling stock."""

import asyncio
from typing import Any

from shopgraph.checkout import sweeps
from shopgraph.datasources.orders import OrdersDatasource
from tests.conftest import account
from tests.helpers import (
    add_product,
    assert_no_stock_markers,
    expire_now,
    gql_of,
    line,
    order_oid,
    place,
    placed,
    stock_of,
    sweeper,
)

BACKLOG = sweeps.EXPIRY_BATCH + sweeps.EXPIRY_BATCH // 2


async def pending_backlog(db, app_with, make_settings) -> tuple[dict[str, Any], list[Any]]:
    """More expired orders than one batch reads, each holding 2 units of one product; the
    holds end in threes at one moment, so batches end in the middle of a tie."""
    mug = await add_product(db, stock=10_000)
    flood = make_settings(max_pending_orders=BACKLOG, max_held_units=2 * BACKLOG)
    async with app_with(flood) as http:
        gql = gql_of(http)
        buyer = await account(db, http, "flood@shop.test", "CUSTOMER")
        payloads = []
        for start in range(0, BACKLOG, 25):
            payloads += await asyncio.gather(
                *(place(gql, buyer, [line(mug, 2)]) for _ in range(start, min(start + 25, BACKLOG)))
            )
    order_ids = [order_oid(placed(payload)) for payload in payloads]
    await expire_now(db, order_ids, ties=3)
    assert await stock_of(db, mug) == 10_000 - 2 * BACKLOG
    return mug, order_ids


async def test_one_sweep_pass_expires_a_backlog_larger_than_a_batch(
    db, app_with, make_settings, monkeypatch
):
    mug, order_ids = await pending_backlog(db, app_with, make_settings)
    batches: list[int] = []
    held_past = OrdersDatasource.held_past

    async def counted(self, *args, **kwargs):
        found = await held_past(self, *args, **kwargs)
        batches.append(len(found))
        return found

    monkeypatch.setattr(OrdersDatasource, "held_past", counted)
    expired = await sweeper(db).expire_holds()
    monkeypatch.undo()

    assert expired == BACKLOG
    assert max(batches) <= sweeps.EXPIRY_BATCH and len(batches) >= 2
    stored = await db.orders.find({"_id": {"$in": order_ids}}).to_list()
    assert {order["status"] for order in stored} == {"CANCELLED"}
    assert {order["cancelReason"] for order in stored} == {"hold expired"}
    assert await stock_of(db, mug) == 10_000
    await assert_no_stock_markers(db)


async def test_two_sweepers_share_a_backlog_and_return_each_unit_once(db, app_with, make_settings):
    mug, _ = await pending_backlog(db, app_with, make_settings)

    counts = await asyncio.gather(sweeper(db).expire_holds(), sweeper(db).expire_holds())

    assert sum(counts) == BACKLOG
    assert await db.orders.count_documents({"status": "CANCELLED"}) == BACKLOG
    assert await stock_of(db, mug) == 10_000
    await assert_no_stock_markers(db)
