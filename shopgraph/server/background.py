"""Background work of a server process: the stock feed, the order sweep, the mailer.

All of it runs on every process; what it does is safe to do concurrently (see
checkout.sweeps), and the sweep runs in one process at a time (`server.leased_work`).
The first sweep runs at start-up: it is the recovery pass after a crash.

Shutting down stops periodic work at a safe point: no pass starts once `wind_down` is
called (at SIGTERM), a pass under way runs to its end (the mailer stops after the message
it is sending), and only one that outlasts the deadline is cancelled. What a cancelled
pass leaves is finished by the next sweep, of this process or another.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

logger = logging.getLogger("shopgraph.background")

STOP_GRACE_SECONDS = 5.0  # after cancelling: a driver call may swallow the cancellation


class Background:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []  # run until shutdown: stopped at once
        self._passes: list[asyncio.Task[None]] = []  # periodic: stopped between passes
        self._stops: list[Callable[[], None]] = []
        self._pass_stops: list[Callable[[], None]] = []
        self._winding_down = asyncio.Event()

    def start(self, work: Coroutine[Any, Any, None], name: str, stop: Callable[[], None]) -> None:
        """Runs `work` until shutdown, which calls `stop` before cancelling it."""
        self._stops.append(stop)
        self._tasks.append(asyncio.create_task(work, name=name))

    def every(
        self,
        seconds: float,
        work: Callable[[], Awaitable[object]],
        name: str,
        stop: Callable[[], None] | None = None,
    ) -> None:
        """Runs `work` now and then `seconds` after each pass ends, until wound down;
        `stop` asks a pass under way to end early at a safe point."""

        async def loop() -> None:
            while not self._winding_down.is_set():
                try:
                    await work()
                except Exception:
                    logger.exception("%s failed; it runs again in %.0f s", name, seconds)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._winding_down.wait(), seconds)

        if stop is not None:
            self._pass_stops.append(stop)
        self._passes.append(asyncio.create_task(loop(), name=name))

    def wind_down(self) -> None:
        """No periodic pass starts from now on; those under way are asked to stop at
        their next safe point."""
        if self._winding_down.is_set():
            return
        self._winding_down.set()
        for stop in self._pass_stops:
            stop()

    async def stop(self, pass_seconds: float) -> None:
        """Lets passes under way finish for up to `pass_seconds`, then cancels everything
        and waits a bounded time for it."""
        self.wind_down()
        if self._passes:
            _, unfinished = await asyncio.wait(self._passes, timeout=pass_seconds)
            for task in unfinished:
                logger.warning("%s did not finish in time: cancelled", task.get_name())
        for stop in self._stops:
            stop()
        tasks = self._tasks + self._passes
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
        self._tasks.clear()
        self._passes.clear()
