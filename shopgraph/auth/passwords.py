"""Password hashing with argon2id, off the event loop, bounded in how many run at once and
in how many may wait for a turn."""

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shopgraph.errors import DomainError, ErrorCode
from shopgraph.settings import Settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
LOWEST_NICE = 19


def lower_this_threads_priority(nice: int) -> None:
    """Raises the calling thread's nice value to `nice` (Linux keeps one per thread; a
    thread may always lower its own priority); at the lowest, 19, also puts it in Linux's
    idle scheduling class, below every nice value. Elsewhere the calls would change the
    whole process, so it does nothing there."""
    if nice > 0 and sys.platform == "linux":
        thread = threading.get_native_id()
        # A sandbox that forbids it leaves hashing working, at normal priority.
        with suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, thread, nice)
        if nice >= LOWEST_NICE:
            with suppress(OSError):
                os.sched_setscheduler(thread, os.SCHED_IDLE, os.sched_param(0))


@dataclass(frozen=True, slots=True)
class Verification:
    valid: bool
    new_hash: str | None = None  # set when the stored hash used older parameters


class HashingBusy(DomainError):
    """Every hashing slot is taken and the queue behind them is full: the password was
    not looked at."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.TOO_MANY_ATTEMPTS, "The server is busy; try again shortly.")


class Passwords:
    """Each hash takes tens of milliseconds and megabytes of memory: a semaphore keeps a
    burst of logins from starving the event loop's threads or the machine's memory, and
    a bounded queue in front of it refuses at once what would otherwise wait without end
    (a flood of logins would make every request, the owner's too, wait behind it).

    Hashes run on threads of their own, at the nice value `nice` (0: unchanged): on a
    small machine argon2 competes for the CPU with the event loop and the database, and
    at a lower priority it takes only the time they leave, so pages do not stall while
    logins hash (the logins wait instead, within the bounds above)."""

    def __init__(
        self,
        time_cost: int,
        memory_kib: int,
        parallelism: int,
        concurrency: int,
        queue: int,
        nice: int = 0,
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._capacity = concurrency + queue  # running and waiting together
        self._admitted = 0
        self._threads = ThreadPoolExecutor(
            max_workers=concurrency,
            thread_name_prefix="password-hashing",
            initializer=lower_this_threads_priority,
            initargs=(nice,),
        )
        # Started up front (on a hashing thread, not on the caller's), so that even the
        # first unknown-email login costs one verification.
        self._decoy_hash: Future[str] = self._threads.submit(
            self._hasher.hash, "decoy password, never matched"
        )

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """A hashing slot, waited for only when the queue has room. Raises HashingBusy.
        The check and the count happen with no await between them, so on one event loop
        no two callers can both take the last place."""
        if self._admitted >= self._capacity:
            raise HashingBusy()
        self._admitted += 1
        try:
            async with self._slots:
                yield
        finally:
            self._admitted -= 1

    async def hash(self, password: str) -> str:
        """Raises HashingBusy."""
        async with self._turn():
            return await asyncio.wrap_future(self._threads.submit(self._hasher.hash, password))

    async def verify(self, stored_hash: str, password: str) -> Verification:
        """Raises HashingBusy."""
        async with self._turn():
            verifying = self._threads.submit(self._verify, stored_hash, password)
            return await asyncio.wrap_future(verifying)

    def _verify(self, stored_hash: str, password: str) -> Verification:
        try:
            self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return Verification(valid=False)
        if self._hasher.check_needs_rehash(stored_hash):
            return Verification(valid=True, new_hash=self._hasher.hash(password))
        return Verification(valid=True)

    async def verify_nothing(self, password: str) -> None:
        """The same work as a real verification, for unknown accounts: the answer's timing
        must not tell whether an email is registered."""
        await self.verify(await asyncio.wrap_future(self._decoy_hash), password)


def passwords_from(settings: Settings) -> Passwords:
    """Needs no JWT secret: commands that only hash passwords use it directly."""
    return Passwords(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        concurrency=settings.password_hashing_concurrency,
        queue=settings.password_hashing_queue,
        nice=settings.password_hashing_nice,
    )
