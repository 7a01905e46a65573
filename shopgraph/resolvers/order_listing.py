"""Pages of orders: one user's, or everyone's, newest first."""

from datetime import datetime
from enum import Enum

from bson import ObjectId

from shopgraph.checkout.order_states import OrderStatus
from shopgraph.checkout.orders import Orders
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.pagination import C, Ordering, PageArgs, paginate

NEWEST_FIRST = Ordering("orders:CREATED_AT:DESC", "createdAt", datetime, descending=True)


async def order_page(
    info: Info,
    user_id: ObjectId | None,
    args: PageArgs,
    status: Enum | None,
    connection_type: type[C],
) -> C:
    """All users' orders when `user_id` is None; only those in `status` (the API's enum)
    when it is given."""
    query = Orders.listing(user_id, OrderStatus(status.value) if status else None)
    datasource = info.context.datasources.orders
    return await paginate(info, datasource, query, args, NEWEST_FIRST, connection_type)
