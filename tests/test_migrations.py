"""The migration runner and its lock: pending migrations run in order, each once, however
many runners start together, and a dead migrator's lock does not block the others.

The migrations here are the tests' own: each records every time it is applied in
`migration_effects`, so "exactly once" is counted, not inferred.
"""

import asyncio
import logging
import re
from datetime import datetime
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from shopgraph.clock import now_ms
from shopgraph.migrations import (
    MIGRATIONS,
    Migration,
    MigrationFailed,
    MigrationLockLost,
    MigrationLockTimeout,
    MigrationRunner,
)
from tests.helpers import poll

FAST = {"wait_seconds": 10, "max_poll_seconds": 0.02}
LOCK = "lock"


def counted(number: int, name: str, seconds: float = 0.0) -> Migration:
    """A migration that takes `seconds` and records each application."""

    async def apply(database) -> None:
        await database.migration_effects.insert_one({"migration": number})
        await asyncio.sleep(seconds)

    return Migration(number, name, apply)


def broken(number: int, name: str) -> Migration:
    async def apply(database) -> None:
        raise ValueError("the data is not what this migration expects")

    return Migration(number, name, apply)


async def applications(db) -> list[int]:
    return [effect["migration"] async for effect in db.migration_effects.find().sort("_id", 1)]


async def recorded(db) -> list[str]:
    return [record["_id"] async for record in db.migrations.find({"_id": {"$ne": LOCK}})]


async def hold_lock(db, owner: str, lease_ms: int) -> None:
    """A lock document as another migrator would leave it: its lease runs `lease_ms` from now."""
    await db.migrations.insert_one(
        {"_id": LOCK, "owner": owner, "leaseUntilMs": now_ms() + lease_ms}
    )


async def lock_of(db) -> dict | None:
    return await db.migrations.find_one({"_id": LOCK})


SOME = [counted(1, "first"), counted(2, "second"), counted(3, "third")]


async def test_runner_applies_pending_migrations_in_order_and_records_them(db):
    applied = await MigrationRunner(db, SOME, **FAST).run()

    assert [done.migration.id for done in applied] == ["0001-first", "0002-second", "0003-third"]
    assert await applications(db) == [1, 2, 3]
    records = await db.migrations.find().sort("number", 1).to_list()
    assert [(r["_id"], r["number"], r["name"]) for r in records] == [
        ("0001-first", 1, "first"),
        ("0002-second", 2, "second"),
        ("0003-third", 3, "third"),
    ]
    for record in records:
        assert isinstance(record["appliedAt"], datetime)
        assert record["appliedBy"] and record["tookMs"] >= 0
    assert await lock_of(db) is None  # released


async def test_runner_applies_only_the_migrations_not_recorded(db):
    await MigrationRunner(db, SOME[:2], **FAST).run()

    applied = await MigrationRunner(db, SOME, **FAST).run()

    assert [done.migration.id for done in applied] == ["0003-third"]
    assert await applications(db) == [1, 2, 3]
    assert await MigrationRunner(db, SOME, **FAST).pending() == []


async def test_a_second_run_applies_nothing_and_changes_nothing(db):
    await MigrationRunner(db, SOME, **FAST).run()
    before = {name: await db[name].find().to_list() for name in await db.list_collection_names()}

    assert await MigrationRunner(db, SOME, **FAST).run() == []

    after = {name: await db[name].find().to_list() for name in await db.list_collection_names()}
    assert after == before


async def test_nothing_pending_means_no_wait_even_while_another_holds_the_lock(db):
    """Every start but the first after an upgrade finds nothing pending and goes on."""
    await MigrationRunner(db, SOME, **FAST).run()
    await hold_lock(db, "busy:1:elsewhere", lease_ms=60_000)

    assert await MigrationRunner(db, SOME, wait_seconds=0.1).run() == []


async def test_concurrent_runners_apply_each_migration_exactly_once(db, mongodb_target):
    uri, name = mongodb_target
    clients = [AsyncMongoClient(uri, tz_aware=True) for _ in range(8)]
    slow = [counted(1, "first", 0.2), counted(2, "second", 0.2)]
    try:
        results = await asyncio.gather(
            *(MigrationRunner(client[name], slow, **FAST).run() for client in clients)
        )
    finally:
        for client in clients:
            await client.close()

    assert sorted(done.migration.id for applied in results for done in applied) == [
        "0001-first",
        "0002-second",
    ]
    assert sum(1 for applied in results if applied) == 1  # one migrated, seven waited
    assert await applications(db) == [1, 2]
    assert sorted(await recorded(db)) == ["0001-first", "0002-second"]
    assert await lock_of(db) is None


async def test_waiting_runners_go_on_once_the_holder_releases_the_lock(db):
    await hold_lock(db, "busy:1:elsewhere", lease_ms=60_000)
    waiting = [asyncio.create_task(MigrationRunner(db, SOME, **FAST).run()) for _ in range(3)]
    await asyncio.sleep(0.3)
    assert not any(task.done() for task in waiting)
    assert await applications(db) == []

    await db.migrations.delete_one({"_id": LOCK, "owner": "busy:1:elsewhere"})
    results = await asyncio.wait_for(asyncio.gather(*waiting), 10)

    assert sorted(len(applied) for applied in results) == [0, 0, 3]
    assert await applications(db) == [1, 2, 3]


async def test_a_lock_left_by_a_dead_migrator_is_taken_over_when_its_lease_runs_out(db, caplog):
    await hold_lock(db, "gone:4242:dead", lease_ms=300)
    caplog.set_level(logging.WARNING, logger="shopgraph.migrations")

    started = asyncio.get_running_loop().time()
    applied = await MigrationRunner(db, SOME, **FAST).run()

    assert len(applied) == 3
    assert asyncio.get_running_loop().time() - started < 5
    assert "took over the migration lock from gone:4242:dead" in caplog.text
    assert await lock_of(db) is None


async def test_a_live_migrator_renews_its_lease_and_keeps_the_lock(db):
    """Its work takes several leases; the runner that starts meanwhile waits for all of it."""
    slow = [counted(1, "first", 1.2)]
    holder = asyncio.create_task(MigrationRunner(db, slow, lease_ms=300, **FAST).run())
    assert await poll(lambda: lock_of(db))
    first_lease = (await lock_of(db))["leaseUntilMs"]
    other = asyncio.create_task(MigrationRunner(db, slow, lease_ms=300, **FAST).run())
    await asyncio.sleep(0.6)

    renewed = await lock_of(db)
    assert renewed["leaseUntilMs"] > first_lease
    assert not other.done()
    assert [len(applied) for applied in await asyncio.gather(holder, other)] == [1, 0]
    assert await applications(db) == [1]


async def test_a_migrator_that_lost_its_lease_stops_and_records_nothing(db):
    """Its lease ran out (it stalled) and another migrator took the lock: it is cancelled
    where it stands, and the other's lock stays."""
    slow = [counted(1, "first", 5.0), counted(2, "second")]
    runner = asyncio.create_task(MigrationRunner(db, slow, lease_ms=300, **FAST).run())
    assert await poll(lambda: lock_of(db))
    await db.migrations.update_one({"_id": LOCK}, {"$set": {"owner": "other:1:took-over"}})

    with pytest.raises(MigrationLockLost, match="another migrator took it over"):
        await asyncio.wait_for(runner, 3)

    assert await recorded(db) == []
    assert (await lock_of(db))["owner"] == "other:1:took-over"


async def test_a_runner_that_waits_too_long_says_who_holds_the_lock(db):
    await hold_lock(db, "busy:1:elsewhere", lease_ms=60_000)

    with pytest.raises(MigrationLockTimeout, match=r"0\.3 s .* held by busy:1:elsewhere"):
        await MigrationRunner(db, SOME, wait_seconds=0.3, max_poll_seconds=0.05).run()

    assert await applications(db) == []
    assert await recorded(db) == []


async def test_a_failing_migration_stops_the_run_and_leaves_it_pending(db):
    migrations = [counted(1, "first"), broken(2, "second"), counted(3, "third")]

    with pytest.raises(MigrationFailed, match="migration 0002-second failed: ValueError"):
        await MigrationRunner(db, migrations, **FAST).run()

    assert await recorded(db) == ["0001-first"]
    assert await lock_of(db) is None
    pending = await MigrationRunner(db, migrations, **FAST).pending()
    assert [migration.id for migration in pending] == ["0002-second", "0003-third"]


def test_migration_numbers_must_increase(db):
    with pytest.raises(ValueError, match="increasing"):
        MigrationRunner(db, [counted(2, "second"), counted(1, "first")], **FAST)
    with pytest.raises(ValueError, match="increasing"):
        MigrationRunner(db, [counted(1, "first"), counted(1, "again")], **FAST)


def test_every_migration_module_is_listed_in_order():
    package = Path(__file__).resolve().parents[1] / "shopgraph" / "migrations"
    modules = sorted(path.stem for path in package.glob("m[0-9][0-9][0-9][0-9]_*.py"))

    assert [
        f"m{migration.number:04d}_{migration.name.replace('-', '_')}" for migration in MIGRATIONS
    ] == modules
    assert [migration.number for migration in MIGRATIONS] == list(range(1, len(modules) + 1))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", m.name) for m in MIGRATIONS)
