"""Refuses an operation that may cost more than `SHOPGRAPH_MAX_QUERY_COST` before any of
it runs, and reports every priced operation's cost in the response's `extensions.cost`.

The cost depends on the variables (`first: $n`), so it cannot be a validation rule: rules
see only the document, and their results are cached per document. The price is taken in
the validation step instead, right after the (cached) validation of the document, so the
refusal is a request error like the other document limits: over HTTP an answer without
data, over WebSocket the protocol's `error` message, and no resolver ever runs.
"""

from collections import OrderedDict
from collections.abc import Iterator

import orjson
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from shopgraph.schema.errors import RequestErrorCode
from shopgraph.schema.query_cost import CostLimits, operation_cost


def cost_report(cost: int, limits: CostLimits) -> dict[str, int]:
    """Named as Shopify and Saleor name theirs."""
    return {"requestedQueryCost": cost, "maximumAvailable": limits.max_cost}


class QueryTooCostly(GraphQLError):
    def __init__(self, cost: int, limits: CostLimits) -> None:
        super().__init__(
            f"This query may cost {cost}, more than the limit of {limits.max_cost}. "
            "Ask for smaller pages (`first`/`last`) or fewer nested lists, "
            "or split it into several queries.",
            extensions={
                "code": RequestErrorCode.BAD_USER_INPUT,
                "cost": cost_report(cost, limits),
            },
        )


class CostCache:
    """The costs of recent (document, operation, variables): a storefront sends the same
    few queries again and again, and pricing walks the whole document. Bounded in entries
    and in the size of each key, so that no request can make it grow."""

    MAX_KEY_BYTES = 2048

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._costs: OrderedDict[str, int | None] = OrderedDict()

    @staticmethod
    def key(query: str | None, operation: str | None, variables: object) -> str | None:
        """A str (the bytes orjson returns keep a 4 KB buffer each); None for long keys and
        for variables orjson cannot write, which are priced each time."""
        try:
            key = orjson.dumps([query, operation, variables], option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return None
        return key.decode() if len(key) <= CostCache.MAX_KEY_BYTES else None

    def get(self, key: str) -> tuple[bool, int | None]:
        if key not in self._costs:
            return False, None
        self._costs.move_to_end(key)
        return True, self._costs[key]

    def put(self, key: str, cost: int | None) -> None:
        self._costs[key] = cost
        if len(self._costs) > self.max_entries:
            self._costs.popitem(last=False)


class QueryCostLimit(SchemaExtension):
    """Must come after `ValidationCache` among the schema's extensions: a document that
    failed validation is reported as invalid and not priced."""

    def __init__(self, limits: CostLimits, cache: CostCache) -> None:
        self.limits = limits
        self.cache = cache
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if not context.pre_execution_errors and context.graphql_document is not None:
            key = CostCache.key(context.query, context.operation_name, context.variables)
            known, cost = (False, None) if key is None else self.cache.get(key)
            if not known:
                cost = operation_cost(
                    context.schema._schema,
                    context.graphql_document,
                    context.operation_name,
                    context.variables,
                    self.limits,
                )
                if key is not None:
                    self.cache.put(key, cost)
            self.cost = cost
            if self.cost is not None and self.cost > self.limits.max_cost:
                context.pre_execution_errors = [QueryTooCostly(self.cost, self.limits)]
        yield

    def get_results(self) -> dict[str, object]:
        return {} if self.cost is None else {"cost": cost_report(self.cost, self.limits)}
