"""DataLoaders: one per entity per request, so a page of N parents costs one query, not N."""

from collections.abc import Sequence
from dataclasses import dataclass

from bson import ObjectId
from strawberry.dataloader import DataLoader

from shopgraph.datasources.client import Datasources
from shopgraph.datasources.keyset import Document


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


class Loaders:
    def __init__(self, datasources: Datasources) -> None:
        self._datasources = datasources
        self.product: DataLoader[DocumentKey, Document | None] = DataLoader(self._load_products)
        self.user: DataLoader[DocumentKey, Document | None] = DataLoader(self._load_users)

    async def _load_products(self, keys: Sequence[DocumentKey]) -> list[Document | None]:
        found = await self._datasources.products.by_ids(
            {key.id for key in keys}, _union_of_fields(keys)
        )
        return [found.get(key.id) for key in keys]

    async def _load_users(self, keys: Sequence[DocumentKey]) -> list[Document | None]:
        found = await self._datasources.users.by_ids(
            {key.id for key in keys}, _union_of_fields(keys)
        )
        return [found.get(key.id) for key in keys]
