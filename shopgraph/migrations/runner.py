"""Runs the migrations a database has not had yet, in order, each once.

The `migrations` collection records every migration applied (`{_id: "0001-default-variants",
number, name, appliedAt, appliedBy, tookMs}`) and holds the lock (lock.py). A runner that
finds nothing pending takes no lock: that is every start but the first after an upgrade.
Otherwise it takes the lock, reads what is pending again (a migrator it waited for may have
applied it all), and applies and records one migration after another. A migration that
fails stops the run: those before it stay recorded, it and those after it stay pending.
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from shopgraph.clock import utc_now
from shopgraph.migrations.lock import (
    LEASE_MS,
    LOCK_ID,
    MAX_POLL_SECONDS,
    MigrationError,
    MigrationLock,
    MigrationLockLost,
)
from shopgraph.migrations.migration import Database, Migration

logger = logging.getLogger("shopgraph.migrations")

COLLECTION = "migrations"


class MigrationFailed(MigrationError):
    def __init__(self, migration: Migration, error: Exception) -> None:
        super().__init__(f"migration {migration.id} failed: {type(error).__name__}: {error}")
        self.migration = migration


@dataclass(frozen=True, slots=True)
class Applied:
    migration: Migration
    took_ms: int


class MigrationRunner:
    def __init__(
        self,
        database: Database,
        migrations: Sequence[Migration],
        *,
        wait_seconds: float,
        lease_ms: int = LEASE_MS,
        max_poll_seconds: float = MAX_POLL_SECONDS,
    ) -> None:
        numbers = [migration.number for migration in migrations]
        if numbers != sorted(set(numbers)) or any(number < 1 for number in numbers):
            raise ValueError(f"migration numbers must be positive and increasing: {numbers}")
        self.database = database
        self.migrations = tuple(migrations)
        self.collection = database[COLLECTION]
        self.lock = MigrationLock(
            self.collection,
            wait_seconds=wait_seconds,
            lease_ms=lease_ms,
            max_poll_seconds=max_poll_seconds,
        )

    async def pending(self) -> list[Migration]:
        """The known migrations not recorded as applied, in order."""
        recorded = {
            document["_id"]
            async for document in self.collection.find({"_id": {"$ne": LOCK_ID}}, {"_id": 1})
        }
        unknown = recorded - {migration.id for migration in self.migrations}
        if unknown:
            logger.warning(
                "the database has migrations this version does not know: %s "
                "(a newer version ran them)",
                ", ".join(sorted(unknown)),
            )
        return [migration for migration in self.migrations if migration.id not in recorded]

    async def run(self) -> list[Applied]:
        """Applies what is pending; returns what this runner applied ([] when another
        runner did it meanwhile). Raises MigrationError."""
        if not await self.pending():
            return []
        applied: list[Applied] = []
        async with self.lock.held():
            for migration in await self.pending():
                applied.append(await self._apply(migration))
        return applied

    async def _apply(self, migration: Migration) -> Applied:
        logger.info("applying migration %s", migration.id)
        started = time.monotonic()
        try:
            await migration.apply(self.database)
        except MigrationError:
            raise
        except Exception as error:
            raise MigrationFailed(migration, error) from error
        took_ms = round((time.monotonic() - started) * 1000)
        try:
            await self.collection.insert_one(
                {
                    "_id": migration.id,
                    "number": migration.number,
                    "name": migration.name,
                    "appliedAt": utc_now(),
                    "appliedBy": self.lock.owner,
                    "tookMs": took_ms,
                }
            )
        except DuplicateKeyError:
            raise MigrationLockLost(
                f"migration {migration.id} was recorded by another migrator while "
                f"{self.lock.owner} applied it: the lock's lease had run out"
            ) from None
        logger.info("applied migration %s in %d ms", migration.id, took_ms)
        return Applied(migration, took_ms)
