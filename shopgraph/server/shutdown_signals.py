"""What a server process does first when told to stop (SIGTERM, or SIGINT from a terminal).

Uvicorn, on the signal, stops accepting connections, closes idle ones, lets requests in
flight finish (up to `timeout_graceful_shutdown`, which `serve` sets to
SHOPGRAPH_SHUTDOWN_SECONDS), then runs the app's lifespan shutdown. But it also closes
every WebSocket at once with 1012 and no reason, and tells the app nothing until its
lifespan shutdown. So `shopgraph serve` has its app take the signal first: it closes the
sockets with 1001 and a reason, stops background work from starting another pass, and
then hands the signal on to uvicorn's own handler, which carries on as above.

Installed while the app's lifespan runs, inside uvicorn's `capture_signals` (uvicorn sets
its handlers with `signal.signal` so that they can be restored: the one found is the one
handed on to, and put back at the end).
"""

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

logger = logging.getLogger("shopgraph.server")

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ShutdownSignals:
    def __init__(self, first: Callable[[], Awaitable[None]]) -> None:
        """`first` runs on the first signal, before the signal is handed on."""
        self.first = first
        self.received_at: float | None = None  # time.monotonic() of the first signal
        self._previous: dict[int, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def install(self) -> None:
        """From the main thread, with the event loop running."""
        self._loop = asyncio.get_running_loop()
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._received)

    def uninstall(self) -> None:
        """Puts the handlers found back, unless something replaced ours meanwhile."""
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) == self._received:
                signal.signal(signum, previous)
        self._previous.clear()

    def seconds_since(self) -> float | None:
        """How long ago the first signal came, if one did."""
        return None if self.received_at is None else time.monotonic() - self.received_at

    def _received(self, signum: int, frame: FrameType | None) -> None:
        if self.received_at is not None:  # a second Ctrl-C: uvicorn's forced exit
            self._hand_on(signum, frame)
            return
        self.received_at = time.monotonic()
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._start, signum, frame)

    def _start(self, signum: int, frame: FrameType | None) -> None:
        self._task = asyncio.create_task(self._first_then_hand_on(signum, frame))

    async def _first_then_hand_on(self, signum: int, frame: FrameType | None) -> None:
        logger.info("received %s: shutting down", signal.Signals(signum).name)
        try:
            await self.first()
        except Exception:
            logger.exception("preparing to shut down failed; shutting down anyway")
        finally:
            self._hand_on(signum, frame)

    def _hand_on(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous.get(signum)
        if callable(previous):
            previous(signum, frame)
            return
        # No Python handler was there (SIG_DFL or SIG_IGN): let it act as it would have.
        signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        signal.raise_signal(signum)
