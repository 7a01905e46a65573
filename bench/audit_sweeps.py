"""Attacks on the sweep: a backlog of expired holds bigger than one pass (1), and an
interrupted cancellation finished by two processes at the same moment (11).

Both states are what a flood or a crash leaves in the database, so the audit writes them
there directly (orders cloned from one the API placed, so they have the shape the code
stores) and lets separate sweeping processes (`bench.audit_sweeper`) run the checked-out
sweep on them. The server's own sweep is set to an hour, so only the audit's sweeps run.
"""

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bson import ObjectId

from bench.audit_report import ProbeFailed, Row
from bench.audit_shop import Shop, object_id

PROJECT_ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 90.0
SWEEP_TIMEOUT = 120.0
BACKLOG = 250
RETURN_ROUNDS = 3
RETURNS_PER_ROUND = 100  # one sweep pass's page of unfinished returns
CLONE_NUMBERS = 9_000_000  # order numbers far above any the counter hands out

try:
    from shopgraph.checkout.order_states import OrderStatus, Step

    PENDING, CANCELLED, OWED = str(OrderStatus.PENDING), str(OrderStatus.CANCELLED), str(Step.OWED)
except ImportError:
    PENDING, CANCELLED, OWED = "PENDING", "CANCELLED", "PENDING"


class Sweepers:
    def __init__(self, processes: list[asyncio.subprocess.Process]) -> None:
        self.processes = processes

    async def sweep(self, count: int | None = None) -> float:
        """Tells `count` (default: all) sweepers to sweep at once; milliseconds until all
        are done."""
        chosen = self.processes[: count or len(self.processes)]
        start = time.perf_counter()
        for process in chosen:
            assert process.stdin is not None
            process.stdin.write(b"sweep\n")
        await asyncio.gather(*(process.stdin.drain() for process in chosen if process.stdin))
        for process in chosen:
            await _expect(process, "swept", SWEEP_TIMEOUT)
        return (time.perf_counter() - start) * 1000


async def _expect(process: asyncio.subprocess.Process, word: str, seconds: float) -> None:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), seconds)
    if line.decode().strip() != word:
        raise ProbeFailed(f"a sweeping process said {line.decode().strip()!r}, not {word!r}")


@contextlib.asynccontextmanager
async def sweepers(shop: Shop, count: int) -> AsyncIterator[Sweepers]:
    env = shop.server.env(SHOPGRAPH_BACKGROUND_TASKS="false")
    processes = []
    try:
        for n in range(count):
            log = (shop.server.work_dir / f"sweeper-{n}.out").open("wb")
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.audit_sweeper",
                    cwd=PROJECT_ROOT, env=env, stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE, stderr=log,
                )
            )  # fmt: skip
            log.close()
        await asyncio.gather(*(_expect(p, "ready", READY_TIMEOUT) for p in processes))
        yield Sweepers(processes)
    finally:
        for process in processes:
            if process.stdin is not None:
                process.stdin.close()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _template(shop: Shop) -> dict[str, Any]:
    """A paid order the API placed (the deep-query probe arranges fifteen)."""
    async for order in shop.db.orders.find({"status": {"$in": ["PAID", "CANCELLED"]}}):
        if order.get("items") and isinstance(order.get("number"), int):
            return order
    raise ProbeFailed("no placed order to copy")


def _clone(template: dict[str, Any], product: dict[str, Any], number: int) -> dict[str, Any]:
    """An order of one unit of `product`, as `placeOrder` would have stored it."""
    item = dict(template["items"][0]) | {
        "productId": product["_id"], "sku": product["sku"], "name": product["name"],
        "unitPrice": product["price"], "quantity": 1, "lineTotal": product["price"],
    }  # fmt: skip
    now = datetime.now(UTC)
    return {
        "_id": ObjectId(), "userId": template["userId"], "items": [item],
        "subtotal": product["price"], "total": product["price"], "currency": template["currency"],
        "cartKey": f"audit-{number}", "number": number,
        "createdAt": now - timedelta(hours=2), "updatedAt": now - timedelta(hours=2),
    }  # fmt: skip


async def _count(shop: Shop, filter_: dict[str, Any]) -> int:
    """Counted by reading: the embedded server's `count_documents` misses some matches."""
    return len(await shop.db.orders.find(filter_, {"_id": 1}).to_list())


async def _product(shop: Shop, sku: str) -> dict[str, Any]:
    product_id = object_id(await shop.new_product(sku, "2.00", 0))
    document = await shop.db.products.find_one({"_id": product_id})
    assert document is not None
    return document


async def hold_backlog(shop: Shop) -> list[Row]:
    """250 unpaid orders whose holds ran out an hour ago, then one sweep pass."""
    template = await _template(shop)
    product = await _product(shop, "AUD-SWEEP")
    expired = datetime.now(UTC) - timedelta(hours=1)
    orders = [
        _clone(template, product, CLONE_NUMBERS + n) | {"status": PENDING, "holdExpiresAt": expired}
        for n in range(BACKLOG)
    ]
    await shop.db.orders.insert_many(orders)
    ids = [order["_id"] for order in orders]
    try:
        async with sweepers(shop, 1) as sweeping:
            ms = await sweeping.sweep()
        left = await _count(shop, {"_id": {"$in": ids}, "status": PENDING})
    finally:
        await shop.db.orders.delete_many({"_id": {"$in": ids}})
    returned = (await shop.db.products.find_one({"_id": product["_id"]}) or {}).get("stock")
    outcome = (
        f"one sweep pass expired {BACKLOG - left}/{BACKLOG} holds an hour overdue "
        f"(stock returned: {returned} units)"
    )
    return [Row("1", f"hold sweep over a backlog of {BACKLOG}", outcome, ms)]


async def double_return(shop: Shop) -> list[Row]:
    """Cancellations interrupted after the status change (stock still owed), finished by
    two sweeping processes told to go at the same moment; each order owes one unit."""
    template = await _template(shop)
    product = await _product(shop, "AUD-RETURN")
    cancelled_ms = int((datetime.now(UTC) - timedelta(hours=1)).timestamp() * 1000)
    total_ms = 0.0
    all_ids: list[ObjectId] = []
    async with sweepers(shop, 2) as sweeping:
        for round_ in range(RETURN_ROUNDS):
            orders = [
                _clone(template, product, CLONE_NUMBERS + 10_000 * (round_ + 1) + n)
                | {"status": CANCELLED, "cancelReason": "audit: interrupted",
                   "cancelledAtMs": cancelled_ms, "stockReturn": OWED}
                for n in range(RETURNS_PER_ROUND)
            ]  # fmt: skip
            await shop.db.orders.insert_many(orders)
            all_ids += [order["_id"] for order in orders]
            total_ms += await sweeping.sweep()
    try:
        owed = await _count(shop, {"_id": {"$in": all_ids}, "stockReturn": OWED})
    finally:
        await shop.db.orders.delete_many({"_id": {"$in": all_ids}})
    returned = int((await shop.db.products.find_one({"_id": product["_id"]}) or {}).get("stock", 0))
    exact = len(all_ids)
    verdict = "exact" if returned == exact else f"{returned - exact:+d} units returned twice"
    if owed:
        verdict += f"; {owed} returns still owed"
    outcome = (
        f"{RETURN_ROUNDS} rounds x {RETURNS_PER_ROUND} interrupted cancellations of 1 unit, "
        f"2 sweeping processes at once: stock returned {returned} (exact: {exact}, {verdict})"
    )
    return [Row("11", "two sweeps finish one cancellation", outcome, total_ms)]
