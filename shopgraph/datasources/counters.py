"""The `counters` collection: atomic sequences, such as human-readable order numbers."""

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from shopgraph.datasources.base import CollectionDatasource


class CountersDatasource(CollectionDatasource):
    async def next(self, name: str) -> int:
        """1, 2, 3, ... with no two callers ever getting the same number."""
        for _ in range(3):
            try:
                counter = await self.collection.find_one_and_update(
                    {"_id": name},
                    {"$inc": {"value": 1}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:  # two first-ever upserts raced; the loser retries
                continue
            if counter is not None:
                return int(counter["value"])
        raise RuntimeError(f"counter {name!r} could not be incremented")
