"""`shopgraph serve --workers 3`: three real server processes on one port and one embedded
MongoDB, which the command's own process starts, migrates and seeds once.

Connections land on whichever worker accepts them; every answer names its worker
(`X-Shopgraph-Process`), so the tests can tell, and choose, which one they talk to.
"""

import asyncio
import os
import re
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from uvicorn.config import STARTUP_FAILURE

from shopgraph.server.process_header import PROCESS_HEADER
from shopgraph.server.workers import worker_app
from tests.conftest import TEST_JWT_SECRET
from tests.factories import global_id, product_document
from tests.helpers import bearer, poll
from tests.live_stock_harness import (
    Server,
    Subscriber,
    go_live,
    server_env,
    stop_server,
    wait_ready,
)
from tests.processes_harness import (
    Call,
    alive,
    answered_by,
    children_of,
    clients_by_worker,
    close_all,
    log_in,
    start_serve,
    units,
    worker_pids,
)

WORKERS = 3
ADJUST = """mutation Adjust($id: ID!) {
  adjustStock(productId: $id, delta: 1, reason: "recount") {
    product { stock } userErrors { code }
  }
}"""


@dataclass
class Fleet:
    server: Server
    uri: str  # the embedded MongoDB's, which the workers share
    started_with: set[int]  # the workers' pids at start
    admin: tuple[str, str]  # the demo accounts' email and password
    customer: tuple[str, str]

    @asynccontextmanager
    async def database(self) -> AsyncIterator[Any]:
        client: AsyncMongoClient[Any] = AsyncMongoClient(self.uri, tz_aware=True)
        try:
            yield client["shopgraph"]
        finally:
            await client.close()

    async def token(self, who: tuple[str, str]) -> str:
        return await log_in(self.server.base, *who)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    data_dir = tmp_path_factory.mktemp("fleet")
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("SHOPGRAPH_") and k != "MONGODB_URI"
    }
    env = {
        **base,
        "SHOPGRAPH_DATA_DIR": str(data_dir),
        "SHOPGRAPH_JWT_SECRET": TEST_JWT_SECRET,
        "SHOPGRAPH_ARGON2_TIME_COST": "1",
        "SHOPGRAPH_ARGON2_MEMORY_KIB": "1024",
        "SHOPGRAPH_ARGON2_PARALLELISM": "1",
        "SHOPGRAPH_MAX_WS_PER_CLIENT": "1000",  # every test client is 127.0.0.1
        "SHOPGRAPH_MAX_PENDING_ORDERS": "100000",
        "SHOPGRAPH_MAX_HELD_UNITS": "1000000",
        # A quick sweep, so that the test of a killed worker sees it finish the work.
        "SHOPGRAPH_ORDER_SWEEP_SECONDS": "0.5",
        "SHOPGRAPH_ORDER_SWEEP_GRACE_SECONDS": "5",
        "SHOPGRAPH_ORDER_SWEEP_LEASE_SECONDS": "2",
        "SHOPGRAPH_SHUTDOWN_SECONDS": "5",
    }
    server = start_serve(env, data_dir, "fleet", "--workers", str(WORKERS))
    try:
        wait_ready(server, timeout=60)
        assert poll_sync(lambda: len(worker_pids(server)) == WORKERS), server.output()
        started = "Application startup complete"
        assert poll_sync(lambda: server.log.read_text().count(started) == WORKERS), server.output()
        output = server.log.read_text()
        [uri] = re.findall(r"embedded MongoDB on (mongodb://\S+),", output)
        demo = dict(re.findall(r"demo (\w+): \S+ / (\S+)", output))
        yield Fleet(
            server,
            uri,
            worker_pids(server),
            ("admin@example.com", demo["admin"]),
            ("customer@example.com", demo["customer"]),
        )
    finally:
        stop_server(server)


def poll_sync(condition: Any, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_the_command_starts_one_embedded_mongodb_and_migrates_and_seeds_once(fleet: Fleet):
    output = fleet.server.log.read_text()
    databases = [c for _, c in children_of(fleet.server.process.pid) if "nx_27017" in c]
    assert len(databases) == 1, databases
    for worker in fleet.started_with:
        assert not [c for _, c in children_of(worker) if "nx_27017" in c]
    assert output.count("embedded MongoDB on") == 1
    assert output.count("applied migration 0001-default-variants") == 1
    assert output.count("seeded the demo catalog") == 1


async def test_orders_placed_through_different_workers_never_oversell(fleet: Fleet):
    stock = 25
    product = product_document(sku="RACE-ACROSS-WORKERS", stock=stock)
    async with fleet.database() as db:
        await db.products.insert_one(product)
    token = await fleet.token(fleet.customer)
    by_worker = await clients_by_worker(fleet.server.base, WORKERS, each=4)
    try:
        assert len(by_worker) >= 2, by_worker.keys()
        clients = [http for group in by_worker.values() for http in group[:4]]
        calls = [Call(f"race-{n}", 1 + n % 2) for n in range(80)]
        await asyncio.gather(
            *(
                call.place(clients[n % len(clients)], token, product["_id"])
                for n, call in enumerate(calls)
            )
        )
    finally:
        await close_all(by_worker)

    assert not [call for call in calls if call.failure], "every call is answered"
    placed = [call for call in calls if call.order]
    refused = [call for call in calls if not call.order]
    assert len({call.worker for call in placed}) >= 2, "orders went through several workers"
    assert {r["code"] for call in refused for r in call.refusals} == {"OUT_OF_STOCK"}
    async with fleet.database() as db:
        after = await db.products.find_one({"_id": product["_id"]})
        orders = await _orders_of(db, product["_id"])
    assert after["stock"] >= 0
    assert after["stock"] + units(orders) == stock
    assert units(orders) == sum(call.quantity for call in placed)
    assert after["stock"] < min(call.quantity for call in refused)  # nothing refused needlessly


async def test_a_subscriber_on_one_worker_sees_a_change_made_through_another(fleet: Fleet):
    product = product_document(sku="LIVE-ACROSS-WORKERS", stock=10)
    async with fleet.database() as db:
        await db.products.insert_one(product)
    product_gid = global_id("Product", product["_id"])
    admin = await fleet.token(fleet.admin)
    subscriber = await Subscriber.open(fleet.server.ws_url)
    by_worker: dict[int, list[httpx.AsyncClient]] = {}
    try:
        watched_on = int(subscriber.ws.response.headers[PROCESS_HEADER])
        await subscriber.subscribe("1", [product_gid])
        by_worker = await clients_by_worker(fleet.server.base, WORKERS, each=1)
        [other, *_] = [group[0] for worker, group in by_worker.items() if worker != watched_on]
        changed_on: set[int] = set()

        async def change_through_another_worker() -> int:
            response = await other.post(
                "/graphql",
                json={"query": ADJUST, "variables": {"id": product_gid}},
                headers=bearer(admin),
            )
            changed_on.add(answered_by(response))
            return int(response.json()["data"]["adjustStock"]["product"]["stock"])

        await go_live([subscriber], product_gid, change_through_another_worker)
        stock = await change_through_another_worker()
        update = await subscriber.until_stock(product_gid, stock, within=5)
    finally:
        await subscriber.close()
        await close_all(by_worker)

    assert update["stock"] == stock
    assert watched_on not in changed_on, (watched_on, changed_on)


async def test_a_worker_killed_while_orders_are_placed_loses_no_stock(fleet: Fleet):
    """The survivors keep answering, uvicorn's supervisor starts a new worker in the dead
    one's place, and the sweep (on whichever survivor holds its lease, once the dead
    one's lease runs out) undoes or finishes what the dead one left half-done."""
    stock = 400
    product = product_document(sku="KILLED-WORKER", stock=stock)
    async with fleet.database() as db:
        await db.products.insert_one(product)
    token = await fleet.token(fleet.customer)
    calls: list[Call] = []
    stopping = asyncio.Event()

    async def shopper(name: str) -> None:
        async with httpx.AsyncClient(
            base_url=fleet.server.base, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
        ) as http:
            n = 0
            while not stopping.is_set():
                call = Call(f"{name}-{n}", 1 + n % 2)
                calls.append(call)
                await call.place(http, token, product["_id"])
                n += 1

    shoppers = [asyncio.create_task(shopper(f"shopper-{n}")) for n in range(24)]
    try:
        assert await poll(lambda: len([c for c in calls if c.order]) >= 30, seconds=60)
        victim = next(c.worker for c in reversed(calls) if c.worker is not None)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)

        def answered_after_the_kill() -> list[Call]:
            return [c for c in calls if c.answered_at and c.sent_at > killed_at and c.order]

        assert await poll(lambda: len(answered_after_the_kill()) >= 30, seconds=60)
    finally:
        stopping.set()
        await asyncio.gather(*shoppers)

    survivors = {call.worker for call in answered_after_the_kill()}
    assert survivors and victim not in survivors

    async with fleet.database() as db:

        async def settled() -> bool:
            return await _stock_adds_up(db, product["_id"], stock)

        assert await poll(settled, seconds=60), await _state(db, product["_id"])
        assert await db.orders.count_documents({"status": "RESERVING"}) == 0

    # The supervisor replaced the dead worker, and the new one answers too.
    assert await poll(
        lambda: (
            victim not in worker_pids(fleet.server) and len(worker_pids(fleet.server)) == WORKERS
        ),
        seconds=30,
    )
    replacement = worker_pids(fleet.server) - fleet.started_with
    assert replacement
    by_worker = await clients_by_worker(fleet.server.base, WORKERS, each=1)
    await close_all(by_worker)
    assert replacement <= set(by_worker), (replacement, by_worker.keys())


async def _stock_adds_up(db: Any, product_id: Any, stock: int) -> bool:
    """Every unit is in stock or in a placed order, and nothing is left half-done."""
    product = await db.products.find_one({"_id": product_id})
    orders = await _orders_of(db, product_id)
    return (
        not product.get("holds")
        and all(order["status"] in ("PENDING", "PAID") for order in orders)
        and product["stock"] + units(orders) == stock
    )


async def _state(db: Any, product_id: Any) -> dict[str, Any]:
    product = await db.products.find_one({"_id": product_id})
    orders = await _orders_of(db, product_id)
    return {
        "stock": product["stock"],
        "holds": product.get("holds"),
        "statuses": sorted({order["status"] for order in orders}),
        "units in orders": units(orders),
    }


async def _orders_of(db: Any, product_id: Any) -> list[dict[str, Any]]:
    """Orders with a line of the product (read whole: the embedded server matches no
    dotted path into an array)."""
    orders = await db.orders.find({}).to_list()
    return [o for o in orders if any(i["productId"] == product_id for i in o["items"])]


def test_workers_stop_when_the_command_is_killed_outright(mongodb_target, tmp_path):
    """Killed with SIGKILL, the command cannot stop its workers; they stop themselves."""
    uri, name = mongodb_target
    server = start_serve(server_env(uri, name, tmp_path), tmp_path, "server", "--workers", "2")
    workers: set[int] = set()
    try:
        wait_ready(server)
        assert poll_sync(lambda: len(worker_pids(server)) == 2), server.output()
        workers = worker_pids(server)
        server.process.kill()
        server.process.wait()

        assert poll_sync(lambda: not any(alive(pid) for pid in workers)), server.output()
    finally:
        stop_server(server)
        for pid in workers:  # left behind if the test failed
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert "Finished server process" in server.output()  # each shut down gracefully


def test_a_worker_that_cannot_build_its_app_exits_as_one_that_failed_to_start(monkeypatch):
    """Uvicorn's supervisor then stops the command, instead of restarting it for ever."""
    monkeypatch.setenv("SHOPGRAPH_MAX_PAGE_SIZE", "0")

    with pytest.raises(SystemExit) as exited:
        worker_app()

    assert exited.value.code == STARTUP_FAILURE
