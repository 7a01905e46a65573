"""Assembles the schema with its protections: limits, caches, error masking."""

from dataclasses import dataclass

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)

from shopgraph.schema.document_limits import limits_rule
from shopgraph.schema.masking import LoggingSchema, RequestErrorMasking
from shopgraph.schema.mutation import Mutation
from shopgraph.schema.parser_cache import ReportingParserCache
from shopgraph.schema.query import Query
from shopgraph.schema.scalars import SCALAR_OVERRIDES
from shopgraph.schema.subscription import Subscription
from shopgraph.schema.token_guard import RejectInvalidTokens
from shopgraph.schema.transport import SubscriptionsOverWebSocket

CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000


def build_schema(limits: QueryLimits | None = None, *, introspection: bool = True) -> LoggingSchema:
    """The rules are built once so the validation cache, which keys on them, really hits.

    Without `introspection`, a document selecting `__schema` or `__type` fails validation
    with an error naming the field; `__typename` still works."""
    limits = limits or QueryLimits()
    rules = [limits_rule(limits.max_depth, limits.max_aliases)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list[type[SchemaExtension] | object] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ReportingParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        RejectInvalidTokens,
        SubscriptionsOverWebSocket,
        RequestErrorMasking,
    ]
    return LoggingSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
    )
