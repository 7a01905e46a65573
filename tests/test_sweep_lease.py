"""One process sweeps at a time: the lease of `server.leased_work`, against the real
database, with each `LeasedWork` standing for one server process."""

import asyncio

from shopgraph.clock import now_ms
from shopgraph.datasources.client import Datasources
from shopgraph.server.leased_work import LeasedWork
from tests.helpers import poll

LEASE_SECONDS = 30.0


def process(db, done: list[str], name: str, lease_seconds: float = LEASE_SECONDS) -> LeasedWork:
    """A process's sweep, which notes in `done` each pass it makes."""

    async def sweep() -> None:
        done.append(name)

    return LeasedWork(Datasources.for_database(db).leases, "order-sweep", lease_seconds, sweep)


async def test_only_the_holder_sweeps_and_keeps_sweeping(db):
    done: list[str] = []
    a, b = process(db, done, "a"), process(db, done, "b")

    assert await a() is True
    assert await b() is False
    assert await a() is True  # renewed, not lost between passes
    assert await b() is False
    assert done == ["a", "a"]


async def test_of_processes_ticking_together_exactly_one_sweeps(db):
    done: list[str] = []
    processes = [process(db, done, f"p{n}") for n in range(12)]

    results = await asyncio.gather(*(p() for p in processes))

    assert results.count(True) == 1 and len(done) == 1


async def test_a_holder_that_stops_gives_the_lease_up_at_once(db):
    done: list[str] = []
    a, b = process(db, done, "a"), process(db, done, "b")
    await a()

    await a.release()

    assert await b() is True
    assert done == ["a", "b"]
    assert await a() is False


async def test_the_lease_of_a_holder_that_died_runs_out_and_another_takes_over(db):
    done: list[str] = []
    a = process(db, done, "a", lease_seconds=0.2)
    b = process(db, done, "b")
    await a()  # then "dies": it never renews
    lease = await db.leases.find_one({"_id": "order-sweep"})
    assert lease["owner"] == a.owner

    assert await b() is False  # still a's
    took_over = await poll(b, seconds=5)

    assert took_over and done[-1] == "b"
    assert (await db.leases.find_one({"_id": "order-sweep"}))["owner"] == b.owner
    assert await a() is False  # back from the dead, it finds the lease taken


async def test_a_long_pass_renews_the_lease_while_it_works(db):
    """The lease is 0.3 s and the pass outlasts it several times; nobody takes over."""
    leases = Datasources.for_database(db).leases
    working, finish = asyncio.Event(), asyncio.Event()

    async def long_sweep() -> None:
        working.set()
        await finish.wait()

    a = LeasedWork(leases, "order-sweep", 0.3, long_sweep)
    b = process(db, [], "b")
    pass_of_a = asyncio.create_task(a())
    await working.wait()
    first_until = (await db.leases.find_one({"_id": "order-sweep"}))["leaseUntilMs"]
    assert await poll(lambda: now_ms() > first_until + 600, seconds=5)
    taken_by_b = await b()
    finish.set()

    assert await pass_of_a is True
    assert taken_by_b is False
    lease = await db.leases.find_one({"_id": "order-sweep"})
    assert lease["owner"] == a.owner and lease["leaseUntilMs"] > first_until + 600
