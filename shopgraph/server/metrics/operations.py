"""Each GraphQL operation, over HTTP or WebSocket: counted by name, type and outcome, timed,
its errors counted by code, and logged in one line with its duration.

An outermost schema extension: it times the other extensions' work too. Its outcome is
`error` when the response has `errors`; a mutation that answers with `userErrors` is `ok`.
A subscription is counted when it ends (the running ones are a gauge) and is not timed:
its duration is how long the client watched.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types import StreamExecutionResult
from strawberry.types.graphql import OperationType

from shopgraph.resolvers.stock_updates import SHARED_STOCK_STREAM
from shopgraph.schema.errors import RequestErrorCode
from shopgraph.schema.masking import is_unexpected
from shopgraph.server.logs import OPERATION, VIEWER_ID
from shopgraph.server.metrics.instruments import GRAPHQL_ERRORS, OPERATION_SECONDS, OPERATIONS
from shopgraph.server.metrics.labels import BoundedLabels, clean_name

logger = logging.getLogger("shopgraph.graphql")

# Errors without a code, named as Apollo Server names them in its own responses.
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
OTHER_CODE = "OTHER"
KNOWN_CODES = frozenset(RequestErrorCode)
UNKNOWN_TYPE = "unknown"


def error_code(error: GraphQLError) -> str:
    """The error's `extensions.code` as the client reads it (masking gives unexpected ones
    INTERNAL_SERVER_ERROR), or what kind of request error it is."""
    if is_unexpected(error):
        return RequestErrorCode.INTERNAL_SERVER_ERROR
    code = (error.extensions or {}).get("code")
    if code is not None:
        return str(code) if code in KNOWN_CODES else OTHER_CODE
    if isinstance(error, GraphQLSyntaxError) or isinstance(
        error.original_error, GraphQLSyntaxError
    ):
        return PARSE_FAILED
    return VALIDATION_FAILED


class OperationObserver(SchemaExtension):
    def __init__(self, names: BoundedLabels) -> None:
        self.names = names
        self.errors: list[GraphQLError] = []
        self.streamed = False

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        self.errors, self.streamed = [], False
        self._bind()
        failed = False
        try:
            yield
        except (GeneratorExit, asyncio.CancelledError):
            raise  # the client stopped the subscription, or went away
        except BaseException:
            failed = True
            raise
        finally:
            shared = SHARED_STOCK_STREAM.get()
            if shared is not None and shared.detached:
                # The subscription goes on in its group: counted when it leaves it.
                record = self._recorder(failed)
                shared.when_left(lambda: record(time.perf_counter() - started))
            else:
                self._recorder(failed)(time.perf_counter() - started)

    def on_execute(self) -> Iterator[None]:
        OPERATION.set(self._logged_name())  # known now that the document is parsed
        yield

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        self.streamed = True
        self.errors.extend(getattr(result, "errors", None) or ())
        yield

    def _bind(self) -> None:
        OPERATION.set(self._logged_name())
        viewer = getattr(self.execution_context.context, "viewer", None)
        claims = getattr(viewer, "claims", None)
        VIEWER_ID.set(claims.user_id if claims is not None else None)

    def _name(self) -> str | None:
        """As the client gave it, or as the document names its operation."""
        try:
            return self.execution_context.operation_name
        except Exception:  # a document that names no single operation
            return None

    def _logged_name(self) -> str | None:
        name = self._name()
        return clean_name(name) if name else None

    def _type(self) -> str:
        try:
            return self.execution_context.operation_type.value
        except Exception:  # not parsed, or no such operation
            return UNKNOWN_TYPE

    def _recorder(self, failed: bool) -> Callable[[float], None]:
        """What to count and log for the operation, given its duration; it keeps nothing of
        the operation but its name, type and error codes."""
        if not self.streamed:
            result = self.execution_context.result
            self.errors.extend(getattr(result, "errors", None) or ())
        codes = [error_code(error) for error in self.errors]
        outcome = "error" if failed or codes else "ok"
        kind = self._type()
        name = self.names.label(self._name())
        logged = self._logged_name()

        def record(seconds: float) -> None:
            for code in codes:
                GRAPHQL_ERRORS.labels(code).inc()
            OPERATIONS.labels(name, kind, outcome).inc()
            if kind != OperationType.SUBSCRIPTION.value:
                OPERATION_SECONDS.labels(name, kind).observe(seconds)
            _log(logged, kind, outcome, seconds, codes)

        return record


def _log(name: str | None, kind: str, outcome: str, seconds: float, codes: Iterable[str]) -> None:
    duration_ms = round(seconds * 1000, 3)
    distinct = sorted(set(codes))
    logger.info(
        "%s %s %s in %.1f ms%s",
        name or "anonymous",
        kind,
        outcome,
        duration_ms,
        f" ({', '.join(distinct)})" if distinct else "",
        extra={
            "duration_ms": duration_ms,
            "operation_type": kind,
            "outcome": outcome,
            "error_codes": distinct or None,
        },
    )
