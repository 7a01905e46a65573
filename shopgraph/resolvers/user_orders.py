"""`User.orders`.

The Order types refer to User, so the User type cannot import them: the field's type is
named lazily, and its connection class is found by name in the running schema.
"""

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from shopgraph.resolvers.context import HasDocument, Info
from shopgraph.resolvers.order_listing import user_order_page
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
    """The user's orders, newest first (visible to the user and to admins); read through
    the request's loaders, so a page of orders that each select their user's orders costs
    one batch read, not one query per order."""
    definition = info.schema.get_type_by_name("OrderConnection")
    assert isinstance(definition, StrawberryObjectDefinition)
    args = PageArgs(first, after, last, before)
    return await user_order_page(info, root.document["_id"], args, status, definition.origin)
