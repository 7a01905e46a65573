"""Image decoding and encoding, off the event loop and a few at a time.

Pillow holds a core while it decodes, resizes or encodes, and a decoded image holds
width x height x 4 bytes: running them in threads keeps requests answering meanwhile,
and the bound keeps a burst of first requests for new renditions from taking every core
and all the memory. The rest wait their turn.
"""

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class ImageWork:
    """One per process, shared by uploads and renditions."""

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self.started = 0  # jobs run since the process started: tests count decodes with it

    async def run(self, job: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._slots:
            self.started += 1
            return await asyncio.to_thread(job, *args, **kwargs)
