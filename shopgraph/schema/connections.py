"""Relay connections that also count: `totalCount` is queried only when selected."""

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Self, TypeVar

import strawberry
from strawberry import relay

from shopgraph.schema.nodes import DocumentNode

NodeType = TypeVar("NodeType")


@strawberry.type
class CountedConnection(relay.Connection[NodeType]):
    NODE: ClassVar[type[DocumentNode]]  # what its edges hold, built from documents

    count_all: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items match, on all pages.")
    async def total_count(self) -> int:
        return await self.count_all()

    @classmethod
    def resolve_connection(cls, *args: Any, **kwargs: Any) -> Self:
        raise NotImplementedError("built by resolvers.pagination.paginate")
