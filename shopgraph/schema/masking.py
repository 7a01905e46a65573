"""Unexpected errors are logged with a request id; the client sees only that id.

Validation, syntax, variable and auth errors, and `BadUserInput`, are written for the
client and keep their messages and codes.
"""

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from shopgraph.schema.errors import RequestErrorCode

logger = logging.getLogger("shopgraph.errors")

GENERIC_MESSAGE = "Internal server error."


def is_unexpected(error: GraphQLError) -> bool:
    """An error raised while executing that is not a deliberate client error: a bug, masked.

    Errors without a path concern the request itself (syntax, validation, variables) and
    are the client's to read (a failure before execution is made generic where it happens,
    see `internal_error`). During execution only errors that carry a code (such as
    BAD_USER_INPUT) are meant for the client; anything else, including graphql-core
    refusing a stored value ("Int cannot represent ..."), would leak data and is masked.
    """
    original = error.original_error
    if error.path is None:
        return False
    return not (isinstance(original, GraphQLError) and (original.extensions or {}).get("code"))


def request_id_of(execution_context: ExecutionContext | None) -> str | None:
    context = execution_context.context if execution_context else None
    return getattr(context, "request_id", None)


def internal_error(execution_context: ExecutionContext, error: Exception) -> GraphQLError:
    """What the client sees of a failure before execution (the log has the rest)."""
    request_id = request_id_of(execution_context)
    logger.error("request %s: %s before execution", request_id, error, exc_info=error)
    extensions = {"code": RequestErrorCode.INTERNAL_SERVER_ERROR, "requestId": request_id}
    return GraphQLError(GENERIC_MESSAGE, original_error=error, extensions=extensions)


class RequestErrorMasking(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=GENERIC_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {
            "code": RequestErrorCode.INTERNAL_SERVER_ERROR,
            "requestId": request_id_of(self.execution_context),
        }
        return masked


class LoggingSchema(strawberry.Schema):
    """Logs unexpected errors with their traceback once; client errors only at debug level."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        request_id = request_id_of(execution_context)
        for error in errors:
            if is_unexpected(error):
                logger.error(
                    "request %s: %s at %s",
                    request_id,
                    error.message,
                    ".".join(map(str, error.path or ())),
                    exc_info=error.original_error,
                )
            else:
                logger.debug("request %s: %s", request_id, error.message)
