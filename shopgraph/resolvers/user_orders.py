"""`User.orders`: kept apart so the User type need not import the Order types eagerly."""

from typing import TYPE_CHECKING, Annotated

import strawberry

from shopgraph.resolvers.context import HasDocument, Info
from shopgraph.resolvers.pagination import PageArgs

if TYPE_CHECKING:
    from shopgraph.schema.orders import OrderConnection, OrderStatus


async def user_orders(
    root: HasDocument,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    status: Annotated["OrderStatus", strawberry.lazy("shopgraph.schema.orders")] | None = None,
) -> Annotated["OrderConnection", strawberry.lazy("shopgraph.schema.orders")]:
    """The user's orders, newest first (visible to the user and to admins)."""
    from shopgraph.resolvers.orders import orders_of

    return await orders_of(info, root.document["_id"], PageArgs(first, after, last, before), status)
