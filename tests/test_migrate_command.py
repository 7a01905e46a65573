"""`shopgraph migrate`, and `serve` migrating before it serves, as an operator runs them:
real processes against the test database."""

import asyncio
import re
import signal
import sys

from shopgraph.clock import now_ms
from shopgraph.server.embedded import free_port
from tests import test_cli
from tests.factories import product_document
from tests.test_cli import shopgraph

env = test_cli.env  # the command tests' environment: the test database, a scratch data dir

APPLIED = re.compile(r"^applied 0001-default-variants in \d+ ms$", re.MULTILINE)
NOTHING = "nothing to migrate: all applied, up to 0001-default-variants"


async def old_products(db, count: int) -> list[dict]:
    products = [product_document() for _ in range(count)]
    await db.products.insert_many(products)
    return products


async def unmigrated(db) -> int:
    return await db.products.count_documents({"variants": {"$exists": False}})


async def test_migrate_applies_what_is_pending_and_then_finds_nothing(db, env):
    await old_products(db, 3)

    first = shopgraph("migrate", env=env)
    second = shopgraph("migrate", env=env)

    assert first.returncode == 0, first.stderr
    assert APPLIED.fullmatch(first.stdout.strip())
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == NOTHING
    assert await unmigrated(db) == 0
    assert await db.skus.count_documents({}) == 3


async def test_three_processes_migrating_at_once_migrate_once(db, env):
    """They start while another migrator holds the lock, wait for it, and race for the lock
    the moment it is released: one migrates, the other two wait for that one and go on."""
    await old_products(db, 2000)
    await db.migrations.insert_one(
        {"_id": "lock", "owner": "test:1:holder", "leaseUntilMs": now_ms() + 60_000}
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "shopgraph",
            "migrate",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    early = [await asyncio.wait_for(waiting_line(process), 30) for process in processes]

    await db.migrations.delete_one({"_id": "lock", "owner": "test:1:holder"})
    outputs = await asyncio.wait_for(
        asyncio.gather(*(process.communicate() for process in processes)), 60
    )

    said = [stdout.decode().strip() for stdout, _ in outputs]
    assert [process.returncode for process in processes] == [0, 0, 0], [
        line + stderr.decode() for line, (_, stderr) in zip(early, outputs, strict=True)
    ]
    assert sum(1 for text in said if APPLIED.fullmatch(text)) == 1, said
    assert sum(1 for text in said if text == NOTHING) == 2, said
    [record] = await db.migrations.find().to_list()
    assert record["_id"] == "0001-default-variants"
    assert await unmigrated(db) == 0
    assert await db.skus.count_documents({}) == 2000


async def waiting_line(process: asyncio.subprocess.Process) -> str:
    """Reads the process's log until it says it waits for the test's lock."""
    seen = ""
    while True:
        line = (await process.stderr.readline()).decode()
        assert line, f"exited without waiting: {seen}"
        seen += line
        if "waiting for the migration lock, held by test:1:holder" in line:
            return seen


async def test_migrate_that_waits_too_long_says_who_holds_the_lock_in_one_line(db, env):
    await old_products(db, 1)
    await db.migrations.insert_one(
        {"_id": "lock", "owner": "test:1:holder", "leaseUntilMs": now_ms() + 60_000}
    )

    result = shopgraph("migrate", env={**env, "SHOPGRAPH_MIGRATION_WAIT_SECONDS": "0.5"})

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [refusal] = [line for line in result.stderr.splitlines() if line.startswith("shopgraph:")]
    assert "held by test:1:holder" in refusal and "SHOPGRAPH_MIGRATION_WAIT_SECONDS" in refusal
    assert await unmigrated(db) == 1


async def test_serve_applies_pending_migrations_before_it_serves(db, env):
    await old_products(db, 3)
    port = free_port()

    server = test_cli._serve(env, port)
    try:
        test_cli._wait_ready(f"http://127.0.0.1:{port}", server)
        migrated = await unmigrated(db) == 0
        records = await db.migrations.count_documents({})
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)

    assert server.returncode == 0, output
    assert "applied migration 0001-default-variants" in output
    assert migrated and records == 1


async def test_a_deploy_that_migrates_separately_runs_migrate_then_serve(db, env):
    """With SHOPGRAPH_MIGRATE_ON_START=false, serve refuses a database with migrations
    pending, in one line, and touches nothing; after `shopgraph migrate` it serves."""
    await old_products(db, 3)
    separate = {**env, "SHOPGRAPH_MIGRATE_ON_START": "false"}

    refused = shopgraph("serve", "--port", str(free_port()), env=separate)

    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    assert refused.stderr.strip().count("\n") == 0, refused.stderr
    assert "1 migration pending (0001-default-variants)" in refused.stderr
    assert "run `shopgraph migrate` first" in refused.stderr
    assert await unmigrated(db) == 3
    assert await db.migrations.count_documents({}) == 0

    assert shopgraph("migrate", env=separate).returncode == 0
    port = free_port()
    server = test_cli._serve(separate, port)
    try:
        test_cli._wait_ready(f"http://127.0.0.1:{port}", server)
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "applying migration" not in output
