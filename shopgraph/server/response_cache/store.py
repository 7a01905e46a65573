"""The answers kept in memory: least recently used first out, bounded in bytes, and
emptied by every product write the change stream reports.

Nothing is served or kept unless the change stream is open (`live`): before it opens,
between an error and its resumption, and when MongoDB cannot stream changes at all, a
write could go unseen. `generation` changes with every write seen and every change of
`live`; an answer is kept only if the generation is the one taken before its request
read anything, so an answer computed from data older than a write seen meanwhile is
dropped, never served.
"""

from collections import OrderedDict
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.server.metrics.instruments import (
    RESPONSE_CACHE_BYTES,
    RESPONSE_CACHE_EVICTIONS,
)

# What an entry costs beyond its bytes: the dict slot, the tuples and the bytes objects'
# headers (measured with tracemalloc at about 400 bytes; counted generously).
ENTRY_OVERHEAD = 512

Key = tuple[bytes, ...]
Header = tuple[bytes, bytes]


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A 200 answer as it went out, without its request ID; `etag` for GET answers."""

    headers: tuple[Header, ...]
    body: bytes
    etag: bytes | None = None


def _size(key: Key, answer: StoredAnswer) -> int:
    return (
        ENTRY_OVERHEAD
        + sum(len(part) for part in key)
        + len(answer.body)
        + sum(len(name) + len(value) for name, value in answer.headers)
    )


class AnswerStore:
    """At most `max_bytes` of keys, headers and bodies; an answer over `max_entry_bytes`
    is not kept. `max_bytes` 0: nothing is ever kept."""

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self.generation = 0
        self.live = False
        self.used_bytes = 0
        self._entries: OrderedDict[Key, tuple[StoredAnswer, int]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> StoredAnswer | None:
        if not self.live:
            return None
        found = self._entries.get(key)
        if found is None:
            return None
        self._entries.move_to_end(key)
        return found[0]

    def put(self, key: Key, answer: StoredAnswer, generation: int) -> bool:
        """Keeps the answer if nothing was written since `generation` was taken and the
        stream is open; whether it was kept."""
        if not self.live or generation != self.generation:
            return False
        size = _size(key, answer)
        if size > self.max_entry_bytes:
            return False
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.used_bytes -= previous[1]
        self._entries[key] = (answer, size)
        self.used_bytes += size
        while self.used_bytes > self.max_bytes:
            _, (_, evicted) = self._entries.popitem(last=False)
            self.used_bytes -= evicted
            RESPONSE_CACHE_EVICTIONS.inc()
        RESPONSE_CACHE_BYTES.set(self.used_bytes)
        return True

    def clear(self) -> None:
        self.generation += 1
        if self._entries:
            self._entries = OrderedDict()
            self.used_bytes = 0
            RESPONSE_CACHE_BYTES.set(0)

    # The live stock feed tells these (shopgraph.live.feed.ProductWrites).

    def stream_opened(self) -> None:
        self.clear()
        self.live = self.enabled

    def stream_lost(self) -> None:
        self.live = False
        self.clear()

    def product_written(self, product_id: ObjectId | None) -> None:
        """Any write of any product empties the store: every kept answer may show it (a
        listing, a count, a page boundary)."""
        self.clear()
