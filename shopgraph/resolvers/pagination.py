"""Relay pagination arguments and the one cursor codec.

A cursor is base64url of `[scope, sort value, id]`. The scope names the listing and its
order, so a cursor from another listing or another sort is refused instead of silently
landing somewhere else.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

import orjson
from bson import ObjectId
from bson.errors import InvalidId
from strawberry import relay

from shopgraph.datasources.base import CollectionDatasource, ListingQuery
from shopgraph.datasources.keyset import Page, PageRequest, Position
from shopgraph.documents import Document
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.projection import document_fields, selected_names
from shopgraph.schema.connections import CountedConnection
from shopgraph.schema.errors import BadUserInput

MAX_CURSOR_LENGTH = 512
SortValue = int | str | datetime
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what BSON can store
C = TypeVar("C", bound=CountedConnection)  # type: ignore[type-arg]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True, slots=True)
class Ordering:
    """A listing's order: its cursor scope, the document key and that key's type."""

    scope: str
    key: str
    value_type: type[SortValue]
    descending: bool


def _encode_value(value: object) -> object:
    if isinstance(value, datetime):
        # MongoDB keeps milliseconds; integer arithmetic keeps them exact.
        return {"ms": (value - EPOCH) // MILLISECOND}
    return value


def _decode_value(raw: object, value_type: type[SortValue]) -> SortValue:
    if value_type is datetime and isinstance(raw, dict) and type(raw.get("ms")) is int:
        return EPOCH + raw["ms"] * MILLISECOND
    if value_type is int and type(raw) is int and not INT64_MIN <= raw <= INT64_MAX:
        raise ValueError("sort value out of MongoDB's integer range")
    if value_type is not datetime and type(raw) is value_type:
        return raw  # type: ignore[return-value]
    raise ValueError("sort value of the wrong type")


def encode_cursor(ordering: Ordering, document: Document) -> str:
    payload = [ordering.scope, _encode_value(document[ordering.key]), str(document["_id"])]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(cursor: str, ordering: Ordering) -> Position:
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        scope, raw_value, raw_id = orjson.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
    except (ValueError, TypeError, binascii.Error) as error:
        raise BadUserInput(f"Invalid cursor {cursor[:40]!r}.") from error
    if scope != ordering.scope:
        raise BadUserInput(
            "This cursor belongs to another listing or sort order; "
            "start again without `after`/`before` when you change the sort."
        )
    try:
        if not isinstance(raw_id, str):  # ObjectId(None) would invent a new id
            raise TypeError("the id must be a string")
        return Position(_decode_value(raw_value, ordering.value_type), ObjectId(raw_id))
    except (ValueError, TypeError, OverflowError, InvalidId) as error:
        raise BadUserInput(f"Invalid cursor {cursor[:40]!r}.") from error


def page_request(
    args: PageArgs, ordering: Ordering, default_size: int, max_size: int
) -> PageRequest:
    """Validates Relay arguments: page forward with first/after or backward with last/before."""
    if (args.first is not None or args.after is not None) and (
        args.last is not None or args.before is not None
    ):
        raise BadUserInput(
            "Page forward with `first`/`after` or backward with `last`/`before`, not both."
        )
    backward = args.last is not None or args.before is not None
    name, size = ("last", args.last) if backward else ("first", args.first)
    if size is None:
        size = default_size
    if not 1 <= size <= max_size:
        raise BadUserInput(f"`{name}` must be between 1 and {max_size}; got {size}.")
    return PageRequest(
        sort_key=ordering.key,
        descending=ordering.descending,
        limit=size,
        after=None if args.after is None else decode_cursor(args.after, ordering),
        before=None if args.before is None else decode_cursor(args.before, ordering),
        backward=backward,
    )


def _page_info(page: Page, request: PageRequest, cursors: list[str]) -> relay.PageInfo:
    """Relay allows `hasPreviousPage` to be true whenever an `after` cursor was given
    (and `hasNextPage` for `before`); that avoids a second query per page."""
    if request.backward:
        has_previous, has_next = page.has_more, request.before is not None
    else:
        has_previous, has_next = request.after is not None, page.has_more
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


class PageSource(Protocol):
    """Where a connection's pages and count come from."""

    async def page(self, request: PageRequest, fields: frozenset[str] | None) -> Page: ...

    async def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Listing:
    """A datasource's listing: one `find` per page, one count."""

    datasource: CollectionDatasource
    query: ListingQuery

    async def page(self, request: PageRequest, fields: frozenset[str] | None) -> Page:
        return await self.datasource.page(self.query, request, fields)

    async def count(self) -> int:
        return await self.datasource.count(self.query)


async def paginate(
    info: Info,
    datasource: CollectionDatasource,
    query: ListingQuery,
    args: PageArgs,
    ordering: Ordering,
    connection_type: type[C],
) -> C:
    """One page of a datasource's listing as a Relay connection (see `paginate_source`)."""
    return await paginate_source(info, Listing(datasource, query), args, ordering, connection_type)


async def paginate_source(
    info: Info,
    source: PageSource,
    args: PageArgs,
    ordering: Ordering,
    connection_type: type[C],
) -> C:
    """One page as a Relay connection, fetching only the fields the selection needs;
    `totalCount` is counted only if it is selected.

    Cursors cost the sort key in every document, so it is fetched only when the client
    selects `edges.cursor` or `pageInfo`.
    """
    settings = info.context.settings
    request = page_request(args, ordering, settings.default_page_size, settings.max_page_size)
    node_type = connection_type.NODE
    fields = document_fields(info, ("edges", "node"), node_type.FIELDS)
    wants_cursors = "cursor" in selected_names(info, ("edges",)) or "pageInfo" in selected_names(
        info, ()
    )
    if fields is not None and wants_cursors:
        fields |= {ordering.key}
    page = await source.page(request, fields)
    cursors = [
        encode_cursor(ordering, document) if wants_cursors else "" for document in page.documents
    ]
    return connection_type(
        edges=[
            relay.Edge(cursor=cursor, node=node_type(document=document))
            for cursor, document in zip(cursors, page.documents, strict=True)
        ],
        page_info=_page_info(page, request, cursors),
        count_all=source.count,
    )
