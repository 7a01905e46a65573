"""A request that carries a bad token fails as a whole with UNAUTHENTICATED.

Clients must refresh their token, never silently continue as anonymous.
"""

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from shopgraph.schema.errors import NotAuthenticated, refuse_operation


class RejectInvalidTokens(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        viewer = getattr(self.execution_context.context, "viewer", None)
        if viewer is not None and viewer.token_error:
            refuse_operation(self.execution_context, NotAuthenticated(viewer.token_error))
        yield
