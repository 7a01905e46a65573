"""Node types that wrap a MongoDB document: their global ID is the document's `_id`."""

from typing import Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from shopgraph.datasources.keyset import Document


@strawberry.type
class DocumentNode(relay.Node):
    document: strawberry.Private[Document]

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.document["_id"])
