"""Periodic work that one server process at a time does: the order sweep.

Every process keeps the work's timer. At each tick a process takes the work's lease, or
renews it if it is already the holder, and does the work only while it holds it; during
a pass it renews the lease every third of its length. The holder's lease outlives the
pause between its passes, so it keeps the work; if it dies, its lease runs out and the
next process whose tick comes takes over. A process that stops gives the lease up.

Nothing relies on the lease for correctness: every step of the sweep is safe from several
processes at once (`checkout.sweeps`), so a lease lost to a stalled holder costs at most
a pass done twice. It saves N processes the same queries and the same contended writes.
"""

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from shopgraph.datasources.base import DatabaseError
from shopgraph.datasources.leases import LeasesDatasource

logger = logging.getLogger("shopgraph.background")

RELEASE_SECONDS = 1.0  # at shutdown, which has a deadline


def process_owner() -> str:
    """This process, as a lease names its holder."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeasedWork:
    def __init__(
        self,
        leases: LeasesDatasource,
        name: str,
        lease_seconds: float,
        work: Callable[[], Awaitable[object]],
    ) -> None:
        self.leases = leases
        self.name = name
        self.lease_ms = max(1, int(lease_seconds * 1000))
        self.work = work
        self.owner = process_owner()
        self.holding = False

    async def __call__(self) -> bool:
        """One tick: does the work if this process holds the lease; says whether it did."""
        held = await self.leases.take(self.name, self.owner, self.lease_ms)
        if held != self.holding:
            who = "this process" if held else "another process"
            logger.info("%s: %s holds the lease", self.name, who)
        self.holding = held
        if not held:
            return False
        renewing = asyncio.create_task(self._renew_while_working(), name=f"{self.name} lease")
        try:
            await self.work()
        finally:
            renewing.cancel()
            await asyncio.wait([renewing])
        return True

    async def _renew_while_working(self) -> None:
        while True:
            await asyncio.sleep(self.lease_ms / 3000)
            try:
                if not await self.leases.take(self.name, self.owner, self.lease_ms):
                    logger.warning("%s: the lease passed to another process mid-pass", self.name)
                    self.holding = False
                    return
            except DatabaseError as error:  # the next renewal may get through in time
                logger.warning("%s: could not renew the lease: %s", self.name, error)

    async def release(self) -> None:
        """Gives the lease up, so another process takes over at its next tick rather than
        when the lease runs out; if MongoDB does not answer at once, it runs out."""
        if not self.holding:
            return
        self.holding = False
        with contextlib.suppress(DatabaseError, TimeoutError):
            async with asyncio.timeout(RELEASE_SECONDS):
                await self.leases.release(self.name, self.owner)
