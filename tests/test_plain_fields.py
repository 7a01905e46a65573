"""Plain fields answer what Strawberry's path answers; a Node type's own `id` is its own."""

import strawberry
from strawberry import relay

from shopgraph.schema.plain_fields import plain_field_resolvers


@strawberry.type
class Shelf(relay.Node):
    code: strawberry.Private[str]

    @classmethod
    def resolve_id(cls, root: "Shelf", *, info: strawberry.Info) -> str:
        return root.code

    @strawberry.field
    def label(self) -> str:
        return self.code.upper()


@strawberry.type
class Bin(relay.Node):
    """A Node type that defines its `id` itself: not the relay global ID."""

    code: strawberry.Private[str]

    @classmethod
    def resolve_id(cls, root: "Bin", *, info: strawberry.Info) -> str:
        return root.code

    @strawberry.field(name="id")
    def own_id(self) -> relay.GlobalID:
        return relay.GlobalID("Bin", f"own-{self.code}")


@strawberry.type
class Query:
    @strawberry.field
    def shelf(self) -> Shelf:
        return Shelf(code="a1")

    @strawberry.field
    def bin(self) -> Bin:
        return Bin(code="b2")


def test_plain_fields_answer_as_strawberry_does() -> None:
    general = strawberry.Schema(query=Query)
    plain = strawberry.Schema(query=Query)
    assert plain_field_resolvers(plain._schema) >= 2
    query = "{ shelf { id label } bin { id } }"
    expected = general.execute_sync(query)
    assert expected.errors is None
    assert plain.execute_sync(query).data == expected.data
    assert expected.data["bin"]["id"] == relay.to_base64("Bin", "own-b2")
