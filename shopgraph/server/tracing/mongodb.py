"""A client span per MongoDB command that a traced operation sends.

A command sent outside an operation (the live stock feed's change stream, the order sweep,
the mailer) makes no span: alone in a trace of its own, it would explain nothing. Filters,
documents and error messages are never recorded: they hold emails and token hashes.
"""

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

# A getMore names its collection under this key; other commands under their own name.
COLLECTION_KEYS = {"getMore": "collection"}

CommandKey = tuple[object, int]


class CommandSpans(CommandListener):
    """Spans named `{command} {database}.{collection}` (`findAndModify shopgraph.products`),
    children of whatever span is current when the driver sends the command."""

    def __init__(self, tracer_provider: TracerProvider) -> None:
        self._tracer = trace.get_tracer("shopgraph.mongodb", tracer_provider=tracer_provider)
        self._open: dict[CommandKey, Span] = {}

    def started(self, event: CommandStartedEvent) -> None:
        if not trace.get_current_span().is_recording():
            return
        name = event.command_name
        collection = event.command.get(COLLECTION_KEYS.get(name, name))
        attributes: dict[str, str | int] = {
            "db.system": "mongodb",
            "db.name": event.database_name,
            "db.operation": name,
        }
        target = event.database_name
        if isinstance(collection, str):
            attributes["db.mongodb.collection"] = collection
            target = f"{event.database_name}.{collection}"
        host, port = _peer(event.connection_id)
        attributes["net.peer.name"] = host
        if port is not None:
            attributes["net.peer.port"] = port
        self._open[(event.connection_id, event.request_id)] = self._tracer.start_span(
            f"{name} {target}", kind=SpanKind.CLIENT, attributes=attributes
        )

    def succeeded(self, event: CommandSucceededEvent) -> None:
        span = self._open.pop((event.connection_id, event.request_id), None)
        if span is not None:
            span.end()

    def failed(self, event: CommandFailedEvent) -> None:
        span = self._open.pop((event.connection_id, event.request_id), None)
        if span is None:
            return
        failure = event.failure  # the server's reply, or the driver's errtype for a network error
        if isinstance(failure.get("code"), int):
            span.set_attribute("db.mongodb.error_code", failure["code"])
        reason = failure.get("codeName") or failure.get("errtype") or "failed"
        span.set_status(Status(StatusCode.ERROR, str(reason)))
        span.end()


def _peer(connection_id: object) -> tuple[str, int | None]:
    """(host, port) of a connection ID, which is an address tuple or a Unix socket path."""
    if isinstance(connection_id, tuple) and len(connection_id) == 2:
        host, port = connection_id
        return str(host), int(port)
    return str(connection_id), None
