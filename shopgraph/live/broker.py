"""In-process fan-out of stock changes to subscribers that never slow each other down.

Publishing never waits: each subscriber has its own buffer that keeps only the newest
change per product, bounded in how many products it holds. A subscriber that stops
reading just falls behind on values, never delays the others, and costs a bounded buffer.
"""

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.documents import Document


@dataclass(frozen=True, slots=True)
class StockChange:
    product_id: ObjectId
    product: Document  # the product after the change


class Subscriber:
    def __init__(self, product_ids: Collection[ObjectId] | None, capacity: int) -> None:
        self.product_ids = frozenset(product_ids) if product_ids is not None else None
        self._capacity = capacity
        self._pending: OrderedDict[ObjectId, StockChange] = OrderedDict()
        self._ready = asyncio.Event()

    def wants(self, product_id: ObjectId) -> bool:
        return self.product_ids is None or product_id in self.product_ids

    def offer(self, change: StockChange) -> None:
        """Newest value per product wins; past capacity the oldest product's value goes."""
        self._pending.pop(change.product_id, None)
        self._pending[change.product_id] = change
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

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, change: StockChange) -> None:
        for subscriber in tuple(self._subscribers):
            if subscriber.wants(change.product_id):
                subscriber.offer(change)

    @asynccontextmanager
    async def subscribe(
        self, product_ids: Collection[ObjectId] | None
    ) -> AsyncIterator[Subscriber]:
        """Leaving the block (a client disconnecting) frees the subscriber at once."""
        subscriber = Subscriber(product_ids, self._capacity)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)
