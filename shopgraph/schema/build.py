"""Assembles the schema with its protections: limits, caches, error masking."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)

from shopgraph.schema.cost_limit import CostCache, QueryCostLimit
from shopgraph.schema.document_limits import limits_rule
from shopgraph.schema.execution_plans import PlanCache, planned
from shopgraph.schema.masking import LoggingSchema, RequestErrorMasking
from shopgraph.schema.mutation import Mutation
from shopgraph.schema.parser_cache import ReportingParserCache
from shopgraph.schema.password_fields import OnePasswordField
from shopgraph.schema.plain_fields import plain_field_resolvers
from shopgraph.schema.query import Query
from shopgraph.schema.query_cost import CostLimits
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


def build_schema(
    limits: QueryLimits | None = None,
    cost_limits: CostLimits | None = None,
    *,
    introspection: bool = True,
    observers: Sequence[Callable[[], SchemaExtension]] = (),
    plans: bool = True,
) -> LoggingSchema:
    """The rules are built once so the validation cache, which keys on them, really hits.

    Without `introspection`, a document selecting `__schema` or `__type` fails validation
    with an error naming the field; `__typename` still works. `observers` make extensions
    that run around all the others (metrics, logs), in the order given. With `plans`,
    plain objects are completed through execution plans (see execution_plans)."""
    limits = limits or QueryLimits()
    cost_limits = cost_limits or CostLimits()
    rules = [limits_rule(limits.max_depth, limits.max_aliases), OnePasswordField]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    costs = CostCache(CACHE_SIZE)
    extensions: list[type[SchemaExtension] | object] = [
        *observers,
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(rules),
        lambda: ReportingParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        lambda: QueryCostLimit(cost_limits, costs),  # after validation: prices valid ones only
        RejectInvalidTokens,
        SubscriptionsOverWebSocket,
        RequestErrorMasking,
    ]
    schema = LoggingSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=planned(PlanCache()) if plans else None,
    )
    plain_field_resolvers(schema._schema, schema.config.info_class)
    return schema
