"""Image decoding and encoding, off the event loop and a few at a time.

Pillow holds a core while it decodes, resizes or encodes, and a decoded image holds
width x height x 4 bytes: running them in threads keeps requests answering meanwhile,
and the bound keeps a burst of first requests for new renditions from taking every core
and all the memory. The rest wait their turn, holding nothing: a rendition's original is
read only once its turn has come.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class ImageWork:
    """One per process, shared by uploads and renditions."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self.started = 0  # turns taken since the process started: tests count decodes
        self.waiting = 0  # jobs waiting for their turn now

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One of the `concurrency` places; run the image's reading and work inside it."""
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            self.started += 1
            yield
        finally:
            self._slots.release()

    async def in_thread(self, job: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`job` in a thread; call it within a `turn`."""
        return await asyncio.to_thread(job, *args, **kwargs)

    async def run(self, job: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`job` in a thread, in a turn of its own."""
        async with self.turn():
            return await self.in_thread(job, *args, **kwargs)
