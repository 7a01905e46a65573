"""Subscriptions are served over WebSocket only.

Over plain HTTP a subscription would be executed like a query, and its root field,
an event stream, would fail as an internal error. The client is told where to go instead.
"""

from collections.abc import Iterator

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from shopgraph.schema.errors import RequestErrorCode, refuse_operation

MESSAGE = (
    "Subscriptions are served over WebSocket at /graphql "
    "(graphql-transport-ws or graphql-ws), not over HTTP."
)


class SubscriptionsOverWebSocket(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        request = getattr(context, "request", None)
        if (
            self.execution_context.operation_type == OperationType.SUBSCRIPTION
            and request is not None
            and not isinstance(request, WebSocket)
        ):
            refuse_operation(
                self.execution_context,
                GraphQLError(MESSAGE, extensions={"code": RequestErrorCode.BAD_REQUEST}),
            )
        yield
