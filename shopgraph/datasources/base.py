"""What every collection's datasource shares: its indexes, batch reads by id, listings."""

from collections.abc import Callable, Collection, Iterable
from typing import ClassVar, Protocol

from bson import ObjectId
from pymongo import IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, PyMongoError

from shopgraph.datasources.keyset import Page, PageRequest, fetch_page
from shopgraph.documents import Document

# What the layers above see of the driver: a session to pass back in (a transaction's), and
# the error any database call may raise.
Session = AsyncClientSession
DatabaseError = PyMongoError


class StockChanges:
    """Products whose stock this process just changed, for listeners. The live feed
    listens here only when MongoDB cannot stream changes."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[Document], None]] = []
        self._removal_listeners: list[Callable[[ObjectId], None]] = []

    def listen(
        self, listener: Callable[[Document], None], on_removed: Callable[[ObjectId], None]
    ) -> None:
        self._listeners.append(listener)
        self._removal_listeners.append(on_removed)

    def changed(self, product: Document | None) -> None:
        if product is not None:
            for listener in self._listeners:
                listener(product)

    def removed(self, product_id: ObjectId) -> None:
        for listener in self._removal_listeners:
            listener(product_id)


class ListingQuery(Protocol):
    def to_filter(self) -> Document: ...


class CollectionDatasource:
    """Subclasses declare `INDEXES` beside the queries that need them."""

    INDEXES: ClassVar[tuple[IndexModel, ...]] = ()

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def ensure_indexes(self) -> None:
        if self.INDEXES:
            await self.collection.create_indexes(list(self.INDEXES))

    async def insert_new(self, documents: list[Document]) -> list[Document]:
        """Inserts each document a unique index lets in (others may be inserting the same
        ones); returns those refused."""
        if not documents:
            return []
        try:
            await self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            failed = {failure["index"] for failure in error.details.get("writeErrors", [])}
            return [documents[index] for index in sorted(failed)]
        return []

    async def by_ids(
        self, ids: Iterable[ObjectId], fields: Collection[str] | None
    ) -> dict[ObjectId, Document]:
        """One `find` for many ids (for DataLoaders); missing ids are absent from the result."""
        projection = None if fields is None else dict.fromkeys(fields, 1)
        cursor = self.collection.find({"_id": {"$in": list(ids)}}, projection)
        return {document["_id"]: document async for document in cursor}

    async def page(
        self, query: ListingQuery, request: PageRequest, fields: Collection[str] | None
    ) -> Page:
        return await fetch_page(self.collection, query.to_filter(), request, fields)

    async def count(self, query: ListingQuery) -> int:
        return await self.collection.count_documents(query.to_filter())
