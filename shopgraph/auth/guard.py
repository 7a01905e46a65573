"""A request that carries a bad token fails as a whole with UNAUTHENTICATED.

Clients must refresh their token, never silently continue as anonymous.
"""

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension


class RejectInvalidTokens(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        viewer = getattr(self.execution_context.context, "viewer", None)
        if viewer is not None and viewer.token_error:
            # A result set before execution makes Strawberry skip executing.
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[GraphQLError(viewer.token_error, extensions={"code": "UNAUTHENTICATED"})],
            )
        yield
