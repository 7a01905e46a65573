"""The Query root: every field delegates to a resolver."""

import strawberry

from shopgraph.resolvers import (
    carts,
    checkout,
    discounts,
    nodes,
    orders,
    products,
    profile,
    shipping,
    tax_rates,
    users,
)
from shopgraph.schema.permissions import IsAdmin, IsAuthenticated


@strawberry.type
class Query:
    node = strawberry.field(resolver=nodes.node, description="Refetch any object by its global ID.")
    product_categories = strawberry.field(
        resolver=products.product_categories,
        description="The categories of the catalog's active products, in alphabetical "
        "order (at most 200): what a storefront's category filter offers.",
    )
    product_tags = strawberry.field(
        resolver=products.product_tags,
        description="The tags of the catalog's active products, in alphabetical order "
        "(at most 200): what a storefront's tag filter offers.",
    )
    product = strawberry.field(
        resolver=products.product, description="One product, by `id` or by `sku`."
    )
    products = strawberry.field(
        resolver=products.products,
        description="The catalog, one page at a time (default 20, at most 100 per page).",
    )
    order = strawberry.field(
        resolver=orders.order,
        permission_classes=[IsAuthenticated],
        description="One of your orders (admins: any order).",
    )
    orders = strawberry.field(
        resolver=orders.orders,
        permission_classes=[IsAuthenticated],
        description="Your orders, newest first; admins see everyone's.",
    )
    me = strawberry.field(resolver=profile.me, description="The caller; null when anonymous.")
    user = strawberry.field(resolver=users.user, permission_classes=[IsAdmin])
    users = strawberry.field(
        resolver=users.users,
        permission_classes=[IsAdmin],
        description="Accounts, newest first (default 20, at most 100 per page).",
    )
    shipping_methods = strawberry.field(
        resolver=shipping.shipping_methods,
        permission_classes=[IsAdmin],
        description="Every shipping method, inactive ones too, oldest first (at most 100).",
    )
    tax_rates = strawberry.field(
        resolver=tax_rates.tax_rates,
        permission_classes=[IsAdmin],
        description="Every tax rate, by country (at most 1,000).",
    )
    discount_codes = strawberry.field(
        resolver=discounts.discount_codes,
        permission_classes=[IsAdmin],
        description="Discount codes, newest first (default 20, at most 100 per page).",
    )
    cart = strawberry.field(
        resolver=carts.cart,
        description="A cart by its ID: a guest's for anyone who has the ID, a customer's for "
        "them alone.",
    )
    order_by_token = strawberry.field(resolver=checkout.order_by_token)
