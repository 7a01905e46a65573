"""`node(id)`: refetch any object by its global ID."""

from collections.abc import Awaitable, Callable, Sequence

import strawberry
from strawberry import relay

from shopgraph.resolvers.addresses import saved_addresses_by_node_ids
from shopgraph.resolvers.carts import carts_by_node_ids
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.discounts import discount_codes_by_node_ids
from shopgraph.resolvers.images import images_by_node_ids
from shopgraph.resolvers.orders import orders_by_node_ids
from shopgraph.resolvers.products import products_by_node_ids, variants_by_node_ids
from shopgraph.resolvers.shipping import shipping_methods_by_node_ids
from shopgraph.resolvers.users import users_by_node_ids
from shopgraph.schema.errors import BadUserInput

NodeLoader = Callable[[Info, Sequence[str]], Awaitable[Sequence[relay.Node | None]]]

NODE_LOADERS: dict[str, NodeLoader] = {
    "Product": products_by_node_ids,
    "ProductVariant": variants_by_node_ids,
    "User": users_by_node_ids,
    "Order": orders_by_node_ids,
    "ShippingMethod": shipping_methods_by_node_ids,
    "SavedAddress": saved_addresses_by_node_ids,
    "DiscountCode": discount_codes_by_node_ids,
    "Cart": carts_by_node_ids,
    "Image": images_by_node_ids,
}


async def node(info: Info, id: strawberry.ID) -> relay.Node | None:
    """Null for objects that do not exist or that the caller may not see."""
    try:
        global_id = relay.GlobalID.from_id(id)
    except relay.GlobalIDValueError as error:
        raise BadUserInput("Invalid ID: not a global ID.") from error
    load = NODE_LOADERS.get(global_id.type_name)
    if load is None:
        raise BadUserInput(f"Invalid ID: no object type {global_id.type_name[:40]!r}.")
    (found,) = await load(info, [global_id.node_id])
    return found
