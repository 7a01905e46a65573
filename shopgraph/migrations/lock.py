"""The migration lock: one document in `migrations` that at most one migrator holds.

It is taken by a conditional write (an insert, or an update of a lock whose lease has run
out), so of N processes starting together exactly one migrates; the others poll until it
releases the lock. The holder renews its lease while it works; a holder that died stops
renewing, and its lease runs out instead of blocking every start for ever. Leases are
epoch milliseconds of each process's own clock: the servers' clocks must agree to well
within a lease (30 s).
"""

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

from shopgraph.clock import now_ms
from shopgraph.documents import Document

logger = logging.getLogger("shopgraph.migrations")

LOCK_ID = "lock"  # never a migration's id, which starts with its number
LEASE_MS = 30_000
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 1.0


class MigrationError(Exception):
    """Migrating stopped; the message says why, in one line."""


class MigrationLockTimeout(MigrationError):
    pass


class MigrationLockLost(MigrationError):
    pass


class MigrationLock:
    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        wait_seconds: float,
        lease_ms: int = LEASE_MS,
        max_poll_seconds: float = MAX_POLL_SECONDS,
    ) -> None:
        self.collection = collection
        self.wait_seconds = wait_seconds
        self.lease_ms = lease_ms
        self.max_poll_seconds = max_poll_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease_until_ms = 0
        self._lost = False

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Holds the lock for the block, renewing its lease. If the lease is lost anyway
        (this process stalled past it and another took over), the block is cancelled and
        MigrationLockLost raised: the other migrator carries on from the last record."""
        await self.acquire()
        worker = asyncio.current_task()
        assert worker is not None
        self._lost = False
        keeper = asyncio.create_task(self._keep(worker), name="migration lock lease")
        try:
            yield
        except asyncio.CancelledError:
            if self._lost and worker.uncancel() == 0:
                raise MigrationLockLost(
                    f"the migration lock's lease ran out while {self.owner} worked "
                    "and another migrator took it over"
                ) from None
            raise
        finally:
            keeper.cancel()
            try:
                await asyncio.wait([keeper])
            finally:
                await self._release()

    async def acquire(self) -> None:
        """Takes the lock, waiting (polling) while another migrator holds it; raises
        MigrationLockTimeout after `wait_seconds`."""
        deadline = time.monotonic() + self.wait_seconds
        interval = FIRST_POLL_SECONDS
        announced = None
        while True:
            holder = await self._try_take()
            if holder is None:
                return
            if holder and holder != announced:
                logger.info("waiting for the migration lock, held by %s", holder)
                announced = holder
            left = deadline - time.monotonic()
            if left <= 0:
                raise MigrationLockTimeout(
                    f"waited {self.wait_seconds:g} s for the migration lock, held by "
                    f"{holder or 'another migrator'}, which is still migrating"
                )
            if holder:  # "" when it was released between two steps: try again at once
                await asyncio.sleep(min(interval, left))
                interval = min(interval * 2, self.max_poll_seconds)

    async def _try_take(self) -> str | None:
        """None when this migrator now holds the lock, else who holds it ("" if no one
        does any more)."""
        now = now_ms()
        lease = {"owner": self.owner, "leaseUntilMs": now + self.lease_ms, "takenAtMs": now}
        expired = await self.collection.find_one_and_update(
            {"_id": LOCK_ID, "leaseUntilMs": {"$lt": now}},
            {"$set": lease},
            return_document=ReturnDocument.BEFORE,
        )
        if expired is not None:
            logger.warning(
                "took over the migration lock from %s, whose lease ran out", expired.get("owner")
            )
        else:
            try:
                await self.collection.insert_one({"_id": LOCK_ID, **lease})
            except DuplicateKeyError:
                current = await self.collection.find_one({"_id": LOCK_ID}, {"owner": 1})
                return str(current.get("owner", "")) if current else ""
        self._lease_until_ms = lease["leaseUntilMs"]
        return None

    async def _keep(self, worker: asyncio.Task[object]) -> None:
        """Renews the lease at a third of its length; cancels `worker` once it is lost."""
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                if await self._renew():
                    continue
            except PyMongoError as error:
                logger.warning("could not renew the migration lock's lease: %s", error)
                if now_ms() < self._lease_until_ms:
                    continue
            self._lost = True
            worker.cancel()
            return

    async def _renew(self) -> bool:
        lease_until = now_ms() + self.lease_ms
        result = await self.collection.update_one(
            {"_id": LOCK_ID, "owner": self.owner}, {"$set": {"leaseUntilMs": lease_until}}
        )
        if result.matched_count:
            self._lease_until_ms = lease_until
        return result.matched_count == 1

    async def _release(self) -> None:
        """Removes the lock if still ours; if MongoDB does not answer, the lease runs out."""
        try:
            await self.collection.delete_one({"_id": LOCK_ID, "owner": self.owner})
        except PyMongoError as error:
            logger.warning("could not release the migration lock (its lease runs out): %s", error)
