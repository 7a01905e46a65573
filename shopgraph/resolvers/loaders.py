"""DataLoaders: one per entity per request, so a page of N parents costs one query, not N."""

from collections.abc import Sequence
from dataclasses import dataclass

from bson import ObjectId
from strawberry.dataloader import DataLoader

from shopgraph.datasources.base import CollectionDatasource
from shopgraph.datasources.client import Datasources
from shopgraph.documents import Document


@dataclass(frozen=True, slots=True)
class DocumentKey:
    """An id and the document fields the caller needs (None: the whole document)."""

    id: ObjectId
    fields: frozenset[str] | None


def _union_of_fields(keys: Sequence[DocumentKey]) -> frozenset[str] | None:
    """One projection that serves every key of the batch."""
    union: set[str] = set()
    for key in keys:
        if key.fields is None:
            return None
        union |= key.fields
    return frozenset(union)


def _batch_loader(
    datasource: CollectionDatasource, cache: bool
) -> DataLoader[DocumentKey, Document | None]:
    """Each event-loop tick's keys become one `find`, with one projection serving them all."""

    async def load(keys: Sequence[DocumentKey]) -> list[Document | None]:
        found = await datasource.by_ids({key.id for key in keys}, _union_of_fields(keys))
        return [found.get(key.id) for key in keys]

    return DataLoader(load, cache=cache)


class Loaders:
    """`cache=False` for WebSocket connections: their context lives as long as the socket,
    and a cache would serve every later operation data as old as the connection."""

    def __init__(self, datasources: Datasources, cache: bool = True) -> None:
        self.product = _batch_loader(datasources.products, cache)
        self.user = _batch_loader(datasources.users, cache)
