"""At most a given number of things held at once per key, counted in this process.

Used from the event loop only: taking a slot is a check and an increment with no await
between them, so two coroutines can never both take a key's last one. Only keys that
hold something are kept, so memory follows what is in flight.
"""

from collections.abc import Iterator
from contextlib import contextmanager


class SlotsPerKey:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[str, int] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[bool]:
        """Yields whether a slot was free; a slot taken is held until the block ends,
        however it ends."""
        held = self._held.get(key, 0)
        if held >= self.limit:
            yield False
            return
        self._held[key] = held + 1
        try:
            yield True
        finally:
            left = self._held[key] - 1
            if left:
                self._held[key] = left
            else:
                del self._held[key]

    def held(self, key: str) -> int:
        return self._held.get(key, 0)

    def __len__(self) -> int:
        """Keys holding a slot now."""
        return len(self._held)
