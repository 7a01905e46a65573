"""A client span per MongoDB command that a traced operation sends.

A command sent outside an operation (the live stock feed's change stream, the order sweep,
the mailer) makes no span: alone in a trace of its own, it would explain nothing. Filters,
documents and error messages are never recorded: they hold emails and token hashes.
"""

from collections.abc import Mapping
from typing import Any

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
        """A write's errors (a duplicate key) come in a reply that MongoDB counts a success."""
        span = self._open.pop((event.connection_id, event.request_id), None)
        if span is None:
            return
        write_errors = event.reply.get("writeErrors")
        if write_errors:
            _failed(span, write_errors[0])
        span.end()

    def failed(self, event: CommandFailedEvent) -> None:
        span = self._open.pop((event.connection_id, event.request_id), None)
        if span is not None:
            _failed(span, event.failure)
            span.end()


def _failed(span: Span, failure: Mapping[str, Any]) -> None:
    """The error's code and code name, never its message: it quotes the values."""
    code = failure.get("code")
    if isinstance(code, int):
        span.set_attribute("db.mongodb.error_code", code)
    # The server's codeName; the driver's errtype for a network error; else the code.
    reason = failure.get("codeName") or failure.get("errtype") or f"code {code}"
    span.set_status(Status(StatusCode.ERROR, str(reason)))


def _peer(connection_id: object) -> tuple[str, int | None]:
    """(host, port) of a connection ID, which is an address tuple or a Unix socket path."""
    if isinstance(connection_id, tuple) and len(connection_id) == 2:
        host, port = connection_id
        return str(host), int(port)
    return str(connection_id), None
