"""Pages of orders: one user's, or everyone's, newest first."""

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bson import ObjectId

from shopgraph.checkout.order_states import OrderStatus
from shopgraph.checkout.orders import Orders
from shopgraph.datasources.keyset import Page, PageRequest
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.loaders import Loaders, OrderPageKey, UserOrdersKey
from shopgraph.resolvers.pagination import C, Ordering, PageArgs, paginate, paginate_source

NEWEST_FIRST = Ordering("orders:CREATED_AT:DESC", "createdAt", datetime, descending=True)


def _status(status: Enum | None) -> OrderStatus | None:
    """The domain's status for the API's enum."""
    return OrderStatus(status.value) if status else None


async def order_page(
    info: Info,
    user_id: ObjectId | None,
    args: PageArgs,
    status: Enum | None,
    connection_type: type[C],
) -> C:
    """All users' orders when `user_id` is None; only those in `status` (the API's enum)
    when it is given."""
    query = Orders.listing(user_id, _status(status))
    datasource = info.context.datasources.orders
    return await paginate(info, datasource, query, args, NEWEST_FIRST, connection_type)


@dataclass(frozen=True, slots=True)
class OrdersOfUser:
    """One user's orders through the request's loaders, so that the same field on many
    users (`user { orders }` on a page of orders) is read in one batch."""

    loaders: Loaders
    key: UserOrdersKey

    async def page(self, request: PageRequest, fields: frozenset[str] | None) -> Page:
        return await self.loaders.user_order_page.load(OrderPageKey(self.key, request, fields))

    async def count(self) -> int:
        return await self.loaders.user_order_count.load(self.key)


async def user_order_page(
    info: Info, user_id: ObjectId, args: PageArgs, status: Enum | None, connection_type: type[C]
) -> C:
    """`User.orders`: same pages as `order_page` for that user, read in batches."""
    key = UserOrdersKey(user_id, Orders.listing(None, _status(status)))
    source = OrdersOfUser(info.context.loaders, key)
    return await paginate_source(info, source, args, NEWEST_FIRST, connection_type)
