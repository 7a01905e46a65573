"""Keyset pagination on (sort key, _id): stable under inserts and never uses skip."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from shopgraph.documents import Document


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page starts or ends: the sort key's value and the `_id` that breaks ties."""

    value: object
    id: ObjectId


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Up to `limit` documents after `after` (forward) or before `before` (backward)."""

    sort_key: str
    descending: bool
    limit: int
    after: Position | None = None
    before: Position | None = None
    backward: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    documents: list[Document]
    has_more: bool


def _beyond(sort_key: str, position: Position, *, greater: bool) -> Document:
    op = "$gt" if greater else "$lt"
    return {
        "$or": [
            {sort_key: {op: position.value}},
            {sort_key: position.value, "_id": {op: position.id}},
        ]
    }


async def fetch_page(
    collection: AsyncCollection[Document],
    query: Mapping[str, Any],
    request: PageRequest,
    projection: Collection[str] | None,
) -> Page:
    """One `find` with `limit + 1` tells whether more documents follow.

    Cursors need the sort key: include it in `projection` when they are wanted.
    """
    # Walking backward reads the sort in reverse, then restores the order.
    reading_descending = request.descending != request.backward
    clauses: list[Mapping[str, Any]] = [query] if query else []
    if request.after is not None:
        clauses.append(_beyond(request.sort_key, request.after, greater=not request.descending))
    if request.before is not None:
        clauses.append(_beyond(request.sort_key, request.before, greater=request.descending))
    filter_ = clauses[0] if len(clauses) == 1 else ({"$and": clauses} if clauses else {})
    direction = DESCENDING if reading_descending else ASCENDING
    fields = None if projection is None else dict.fromkeys(projection, 1)
    cursor = collection.find(
        filter_,
        fields,
        sort=[(request.sort_key, direction), ("_id", direction)],
        limit=request.limit + 1,
    )
    documents = await cursor.to_list()
    has_more = len(documents) > request.limit
    documents = documents[: request.limit]
    if request.backward:
        documents.reverse()
    return Page(documents, has_more)
