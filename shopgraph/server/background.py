"""Background work of a server process: the order sweep and the outbox mailer.

Both run on every process; what they do is safe to do concurrently (see checkout.sweeps).
The first sweep runs at start-up: it is the recovery pass after a crash.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger("shopgraph.background")


class Background:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def every(self, seconds: float, work: Callable[[], Awaitable[object]], name: str) -> None:
        async def loop() -> None:
            while True:
                try:
                    await work()
                except Exception:
                    logger.exception("%s failed; it runs again in %.0f s", name, seconds)
                await asyncio.sleep(seconds)

        self._tasks.append(asyncio.create_task(loop(), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
