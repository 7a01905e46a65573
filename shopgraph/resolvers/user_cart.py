"""`User.cart`: the customer's open cart, read for a page of users in one query."""

from typing import TYPE_CHECKING, Annotated

import strawberry

from shopgraph.resolvers.context import HasDocument, Info

if TYPE_CHECKING:
    from shopgraph.schema.carts import Cart


async def user_cart(
    root: HasDocument, info: Info
) -> Annotated["Cart", strawberry.lazy("shopgraph.schema.carts")] | None:
    from shopgraph.schema.carts import Cart

    found = await info.context.loaders.open_cart.load(root.document["_id"])
    return None if found is None else Cart(document=found)
