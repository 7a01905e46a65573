"""Background work of a server process: the stock feed, the order sweep, the mailer.

Both run on every process; what they do is safe to do concurrently (see checkout.sweeps).
The first sweep runs at start-up: it is the recovery pass after a crash.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

logger = logging.getLogger("shopgraph.background")

STOP_GRACE_SECONDS = 5.0


class Background:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self._stops: list[Callable[[], None]] = []
        self._stopping = False

    def start(self, work: Coroutine[Any, Any, None], name: str, stop: Callable[[], None]) -> None:
        """Runs `work` until shutdown, which calls `stop` before cancelling it."""
        self._stops.append(stop)
        self._tasks.append(asyncio.create_task(work, name=name))

    def every(self, seconds: float, work: Callable[[], Awaitable[object]], name: str) -> None:
        async def loop() -> None:
            while not self._stopping:
                try:
                    await work()
                except Exception:
                    logger.exception("%s failed; it runs again in %.0f s", name, seconds)
                await asyncio.sleep(seconds)

        self._tasks.append(asyncio.create_task(loop(), name=name))

    async def stop(self) -> None:
        """Cancels the work and waits a bounded time: a driver call that swallowed the
        cancellation must not hold up the shutdown."""
        self._stopping = True
        for stop in self._stops:
            stop()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        self._tasks.clear()
