"""GraphQL errors that clients are meant to read: they pass error masking untouched."""

from graphql import GraphQLError


class BadUserInput(GraphQLError):
    """An argument the caller can fix: a bad ID, cursor, page size or filter."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT"})
