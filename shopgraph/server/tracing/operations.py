"""A span per GraphQL operation, and spans for a sample of the resolvers that wait.

Built on Strawberry's OpenTelemetryExtension (its parse and validation spans are kept), with
three changes: the operation span is the current span while the operation runs, so the
MongoDB commands it sends nest under it; only resolvers that return something to await get
a span, and of those below the root fields only a sample; and no query text or argument is
recorded, since they carry emails, passwords and tokens.
"""

import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, Literal

from graphql import GraphQLError, GraphQLResolveInfo
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.requests import Request
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from shopgraph.schema.errors import RequestErrorCode

# `cancelled`: stopped before it ended, by a client that went away, a subscription the
# client completed, or the server shutting down.
OutcomeName = Literal["ok", "user_error", "refused", "internal_error", "cancelled"]
# Raised out of the operation for the view to answer with a 4xx: the client's doing.
REFUSED_REQUESTS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)
UNNAMED = "GraphQL operation"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an operation ended, for the operation span and whoever reads it."""

    name: OutcomeName
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResolverSampling:
    """Root fields always get a span; a resolver below them with probability `ratio`, up to
    `limit` of them per operation, so a 2,000-field answer does not make 2,000 spans."""

    ratio: float
    limit: int


class OperationSpans(OpenTelemetryExtension):
    def __init__(self, tracer_provider: TracerProvider, sampling: ResolverSampling) -> None:
        super().__init__(tracer_provider=tracer_provider)
        self._sampling = sampling
        self._resolver_spans_left = sampling.limit

    def on_operation(self) -> Iterator[None]:
        """The span is named `{type} {name}` (`mutation PlaceOrder`), as OpenTelemetry's
        GraphQL conventions say, once the document is parsed."""
        span = self._tracer.start_span(UNNAMED, context=self._parent(), kind=SpanKind.SERVER)
        self._span_holder[LifecycleStep.OPERATION] = span
        request_id = getattr(self.execution_context.context, "request_id", None)
        if request_id:
            span.set_attribute("shopgraph.request_id", request_id)
        token = otel_context.attach(trace.set_span_in_context(span))
        outcome = Outcome("cancelled")  # when neither an answer nor an Exception ends it
        try:
            yield
            outcome = outcome_of(self.execution_context.result)
        except REFUSED_REQUESTS:
            outcome = Outcome("refused")
            raise
        except Exception:
            outcome = Outcome("internal_error")
            raise
        finally:
            otel_context.detach(token)
            self._describe(span, outcome)
            span.end()

    def _parent(self) -> otel_context.Context | None:
        """The trace a proxy or client started (W3C `traceparent`) for an HTTP request; a
        WebSocket's operations each start a trace of their own."""
        request = getattr(self.execution_context.context, "request", None)
        return propagate.extract(request.headers) if isinstance(request, Request) else None

    def _describe(self, span: Span, outcome: Outcome) -> None:
        kind, name = self._operation()
        span.update_name(" ".join(part for part in (kind, name) if part) or UNNAMED)
        if kind:
            span.set_attribute("graphql.operation.type", kind)
        if name:
            span.set_attribute("graphql.operation.name", name)
        span.set_attribute("shopgraph.outcome", outcome.name)
        if outcome.codes:
            span.set_attribute("shopgraph.error_codes", sorted(set(outcome.codes)))
        if outcome.name == "internal_error":
            span.set_status(Status(StatusCode.ERROR, "internal error"))

    def _operation(self) -> tuple[str | None, str | None]:
        """(type, name) of the operation run, as far as the document says."""
        context = self.execution_context
        try:
            kind: str | None = context.operation_type.value
        except RuntimeError:  # not parsed, or no operation of that name
            kind = None
        return kind, context.operation_name

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Synchronous, so that the fields that need no span cost one call and no await."""
        result = _next(root, info, *args, **kwargs)
        if isawaitable(result) and self._samples(info):
            return self._traced(result, info)
        return result

    def _samples(self, info: GraphQLResolveInfo) -> bool:
        operation = self._span_holder.get(LifecycleStep.OPERATION)
        if operation is None or not operation.is_recording():
            return False
        if info.path.prev is None:
            return True
        if self._resolver_spans_left <= 0 or random.random() >= self._sampling.ratio:
            return False
        self._resolver_spans_left -= 1
        return True

    async def _traced(self, result: Awaitable[Any], info: GraphQLResolveInfo) -> Any:
        operation = self._span_holder[LifecycleStep.OPERATION]
        span = self._tracer.start_span(
            f"{info.parent_type.name}.{info.field_name}",
            context=trace.set_span_in_context(operation),
        )
        self.add_tags(span, info, {})  # the path and parent type; never the arguments
        with trace.use_span(
            span, end_on_exit=True, record_exception=False, set_status_on_exception=False
        ):
            try:
                return await result
            except GraphQLError:
                raise  # meant for the client, and described on the operation span
            except Exception as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise


def outcome_of(result: ExecutionResult | None) -> Outcome:
    """`ok`; `user_error` when a root field's payload has userErrors; `refused` for errors
    meant for the client (invalid documents, auth, bad input); `internal_error` when an
    error was masked. With the codes of the errors, or of the userErrors."""
    if result is None:
        return Outcome("ok")
    codes = tuple(
        str(error.extensions["code"])
        for error in result.errors or ()
        if error.extensions and error.extensions.get("code")
    )
    if RequestErrorCode.INTERNAL_SERVER_ERROR in codes:
        return Outcome("internal_error", codes)
    if result.errors:
        return Outcome("refused", codes)
    user_errors = [
        user_error
        for payload in (result.data or {}).values()
        if isinstance(payload, dict)
        for user_error in payload.get("userErrors") or ()
    ]
    if user_errors:
        return Outcome("user_error", tuple(str(error.get("code")) for error in user_errors))
    return Outcome("ok")
