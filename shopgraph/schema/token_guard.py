"""A request that carries a bad token fails as a whole with UNAUTHENTICATED.

Clients must refresh their token (or log in again when its session has ended), never
silently continue as anonymous.
"""

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from shopgraph.schema.errors import NotAuthenticated, refuse_operation
from shopgraph.schema.masking import internal_error


class RejectInvalidTokens(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        viewer = getattr(self.execution_context.context, "viewer", None)
        try:
            rejection = await viewer.rejection() if viewer is not None else None
        except Exception as error:  # MongoDB failing while the session is looked up
            refuse_operation(self.execution_context, internal_error(self.execution_context, error))
            yield
            return
        if rejection:
            refuse_operation(self.execution_context, NotAuthenticated(rejection))
        yield
