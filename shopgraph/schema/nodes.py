"""Node types that wrap a MongoDB document: their global ID is the document's `_id`."""

from collections.abc import Mapping
from typing import ClassVar, Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from shopgraph.documents import Document


@strawberry.type
class DocumentNode(relay.Node):
    # The document fields each GraphQL field reads: a query fetches only what it selects.
    FIELDS: ClassVar[Mapping[str, tuple[str, ...]]]

    document: strawberry.Private[Document]

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.document["_id"])
