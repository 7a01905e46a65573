"""Strawberry's parser cache, with syntax errors left to the schema to report.

`ParserCache` parses in its `on_parse` hook, outside the schema's own error handling. On
the HTTP path a syntax error is still reported, but on the streaming path (WebSocket) it
escapes as an exception: the client gets `complete` and no error. Leaving a document
that does not parse to the schema makes it parse again and report the error as usual;
only invalid documents are parsed twice.
"""

import contextlib
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import ParserCache


class ReportingParserCache(ParserCache):
    def on_parse(self) -> Iterator[None]:
        execution_context = self.execution_context
        with contextlib.suppress(GraphQLError):  # the schema parses it again and reports it
            execution_context.graphql_document = self.cached_parse_document(
                execution_context.query, **execution_context.parse_options
            )
        yield
