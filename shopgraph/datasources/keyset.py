"""Keyset pagination on (sort key, _id): stable under inserts and never uses skip."""

import asyncio
from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass, replace
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


def _keyset_filter(query: Mapping[str, Any], request: PageRequest) -> Mapping[str, Any]:
    clauses: list[Mapping[str, Any]] = [query] if query else []
    if request.after is not None:
        clauses.append(_beyond(request.sort_key, request.after, greater=not request.descending))
    if request.before is not None:
        clauses.append(_beyond(request.sort_key, request.before, greater=request.descending))
    return clauses[0] if len(clauses) == 1 else ({"$and": clauses} if clauses else {})


async def _read(
    collection: AsyncCollection[Document],
    query: Mapping[str, Any],
    request: PageRequest,
    projection: Collection[str] | None,
    limit: int,
) -> list[Document]:
    """Up to `limit` documents in reading order: walking backward reads the sort in reverse."""
    reading_descending = request.descending != request.backward
    direction = DESCENDING if reading_descending else ASCENDING
    cursor = collection.find(
        _keyset_filter(query, request),
        None if projection is None else dict.fromkeys(projection, 1),
        sort=[(request.sort_key, direction), ("_id", direction)],
        limit=limit,
    )
    return await cursor.to_list()


def _page_of(documents: list[Document], request: PageRequest) -> Page:
    """`documents` in reading order, one more than the page when more follow."""
    page = documents[: request.limit]
    if request.backward:
        page.reverse()
    return Page(page, len(documents) > request.limit)


async def fetch_page(
    collection: AsyncCollection[Document],
    query: Mapping[str, Any],
    request: PageRequest,
    projection: Collection[str] | None,
) -> Page:
    """One `find` with `limit + 1` tells whether more documents follow.

    Cursors need the sort key: include it in `projection` when they are wanted.
    """
    return _page_of(await _read(collection, query, request, projection, request.limit + 1), request)


def _resumed(request: PageRequest, position: Position) -> PageRequest:
    """The same page request, continuing in reading order after `position`."""
    if request.backward:
        return replace(request, before=position)
    return replace(request, after=position)


async def fetch_pages_by(
    collection: AsyncCollection[Document],
    key: str,
    values: Collection[Hashable],
    query: Mapping[str, Any],
    request: PageRequest,
    projection: Collection[str] | None,
) -> dict[Hashable, Page]:
    """For each of `values`, the page `fetch_page` would give with `{key: value}` added to
    `query`: the pages of many parents (a page of each user's orders), read together.

    One `find` reads the first `len(values) * (limit + 1)` documents of all of them, in
    page order. When it comes back full, a value whose page it did not fill (the others'
    documents took the room) gets one `find` of its own, from where the shared one stopped.
    So parents with ordinary histories cost one query however many there are, and the
    documents read are never more than twice those the pages need together.
    """
    wanted = list(dict.fromkeys(values))
    if not wanted:
        return {}  # a `find` with limit 0 would have no limit at all
    per_value = request.limit + 1
    fields = None if projection is None else {*projection, key, request.sort_key}
    shared_limit = len(wanted) * per_value
    read = await _read(collection, {**query, key: {"$in": wanted}}, request, fields, shared_limit)
    found: dict[Hashable, list[Document]] = {value: [] for value in wanted}
    for document in read:
        found[document[key]].append(document)
    if len(read) == shared_limit:
        last = read[-1]
        resumed = _resumed(request, Position(last[request.sort_key], last["_id"]))
        short = [value for value in wanted if len(found[value]) < per_value]
        rest = await asyncio.gather(
            *(
                _read(
                    collection,
                    {**query, key: {"$in": [value]}},
                    resumed,
                    fields,
                    per_value - len(found[value]),
                )
                for value in short
            )
        )
        for value, more in zip(short, rest, strict=True):
            found[value] += more
    return {value: _page_of(documents, request) for value, documents in found.items()}
