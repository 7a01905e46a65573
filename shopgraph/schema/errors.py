"""GraphQL errors that clients are meant to read: they pass error masking untouched.

These concern the request or the caller's rights; what is wrong with a mutation's input
is a userError instead (`UserErrorCode`).
"""

from enum import StrEnum

from graphql import ExecutionResult, GraphQLError
from strawberry.types import ExecutionContext


class RequestErrorCode(StrEnum):
    """Every `extensions.code` a GraphQL error may carry."""

    BAD_USER_INPUT = "BAD_USER_INPUT"  # an argument the caller can fix
    BAD_REQUEST = "BAD_REQUEST"  # an operation this transport does not serve
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"  # masked; see `schema.masking`


class BadUserInput(GraphQLError):
    """An argument the caller can fix: a bad ID, cursor, page size or filter."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": RequestErrorCode.BAD_USER_INPUT})


class NotAuthenticated(GraphQLError):
    """No token, or the token's user is gone: the client should log in (again)."""

    def __init__(self, message: str = "Log in to do this.") -> None:
        super().__init__(message, extensions={"code": RequestErrorCode.UNAUTHENTICATED})


class Forbidden(GraphQLError):
    """Logged in, but this is not theirs to see or do."""

    def __init__(self, message: str = "You may not do this.") -> None:
        super().__init__(message, extensions={"code": RequestErrorCode.FORBIDDEN})


def refuse_operation(execution_context: ExecutionContext, error: GraphQLError) -> None:
    """For schema extensions that refuse an operation before it runs: a result set before
    execution makes Strawberry skip executing."""
    execution_context.result = ExecutionResult(data=None, errors=[error])
