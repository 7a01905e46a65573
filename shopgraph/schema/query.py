"""The Query root: every field delegates to a resolver."""

import strawberry

from shopgraph.resolvers import nodes, products


@strawberry.type
class Query:
    node = strawberry.field(resolver=nodes.node, description="Refetch any object by its global ID.")
    product = strawberry.field(
        resolver=products.product, description="One product, by `id` or by `sku`."
    )
    products = strawberry.field(
        resolver=products.products,
        description="The catalog, one page at a time (default 20, at most 100 per page).",
    )
