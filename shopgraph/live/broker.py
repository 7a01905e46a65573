"""In-process fan-out of stock changes to subscribers that never slow each other down.

Publishing never waits: each subscriber has its own buffer that keeps only the newest
change per variant, bounded in how many variants it holds. A subscriber that stops
reading just falls behind on values, never delays the others, and costs a bounded buffer.
"""

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.documents import Document


@dataclass(frozen=True, slots=True)
class StockChange:
    product_id: ObjectId
    variant_id: ObjectId  # the variant whose stock changed
    product: Document  # the product after the change

    @property
    def key(self) -> tuple[ObjectId, ObjectId]:
        return self.product_id, self.variant_id


@dataclass(frozen=True, slots=True)
class Watched:
    """What a subscriber watches: these products (all their variants) and these variants;
    everything when both are None."""

    product_ids: frozenset[ObjectId] | None = None
    variant_ids: frozenset[ObjectId] | None = None

    def covers(self, change: StockChange) -> bool:
        if self.product_ids is None and self.variant_ids is None:
            return True
        return change.product_id in (self.product_ids or ()) or change.variant_id in (
            self.variant_ids or ()
        )


class Subscriber:
    def __init__(self, watched: Watched, capacity: int) -> None:
        self.watched = watched
        self._capacity = capacity
        self._pending: OrderedDict[tuple[ObjectId, ObjectId], StockChange] = OrderedDict()
        self._ready = asyncio.Event()

    def offer(self, change: StockChange) -> None:
        """Newest value per variant wins; past capacity the oldest variant's value goes."""
        self._pending.pop(change.key, None)
        self._pending[change.key] = change
        while len(self._pending) > self._capacity:
            self._pending.popitem(last=False)
        self._ready.set()

    async def next(self) -> StockChange:
        while not self._pending:
            self._ready.clear()
            await self._ready.wait()
        _, change = self._pending.popitem(last=False)
        return change


class StockBroker:
    def __init__(self, capacity_per_subscriber: int) -> None:
        self._capacity = capacity_per_subscriber
        self._subscribers: set[Subscriber] = set()
        self._shared: set[Subscriber] = set()  # each serving a group of subscriptions
        self._shared_members = 0  # the subscriptions those groups serve

    @property
    def capacity_per_subscriber(self) -> int:
        return self._capacity

    @property
    def subscriber_count(self) -> int:
        """Subscriptions served: one per own subscriber, one per member of a shared one."""
        return len(self._subscribers) - len(self._shared) + self._shared_members

    def publish(self, change: StockChange) -> None:
        for subscriber in tuple(self._subscribers):
            if subscriber.watched.covers(change):
                subscriber.offer(change)

    def open(self, watched: Watched, *, shared: bool = False) -> Subscriber:
        """A subscriber that receives changes from now on, until `close`. A `shared` one
        serves many subscriptions, each counted with `joined` and `left`."""
        subscriber = Subscriber(watched, self._capacity)
        self._subscribers.add(subscriber)
        if shared:
            self._shared.add(subscriber)
        return subscriber

    def close(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        self._shared.discard(subscriber)

    def joined(self) -> None:
        """A subscription joined a shared subscriber."""
        self._shared_members += 1

    def left(self) -> None:
        self._shared_members -= 1

    @asynccontextmanager
    async def subscribe(self, watched: Watched) -> AsyncIterator[Subscriber]:
        """Leaving the block (a client disconnecting) frees the subscriber at once."""
        subscriber = self.open(watched)
        try:
            yield subscriber
        finally:
            self.close(subscriber)
