"""`stockUpdated`: live stock changes, from every server process and any other writer."""

from collections.abc import AsyncGenerator

import strawberry

from shopgraph.datasources.products import is_active
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_global_id
from shopgraph.schema.errors import BadUserInput
from shopgraph.schema.stock import StockUpdate

MAX_PRODUCT_IDS = 100


async def stock_updated(
    info: Info, product_ids: list[strawberry.ID] | None = None
) -> AsyncGenerator[StockUpdate, None]:
    """Changes of the given products, or of all when `productIds` is omitted. Inactive
    products are streamed to admins only. A bad ID ends this subscription with an error;
    the connection and its other subscriptions go on."""
    wanted = None
    if product_ids is not None:
        if len(product_ids) > MAX_PRODUCT_IDS:
            raise BadUserInput(f"Subscribe to at most {MAX_PRODUCT_IDS} products at once.")
        wanted = {decode_global_id(raw, "Product") for raw in product_ids}
    sees_inactive = await info.context.viewer.is_admin()
    async with info.context.stock_broker.subscribe(wanted) as subscriber:
        while True:
            change = await subscriber.next()
            if sees_inactive or is_active(change.product):
                yield StockUpdate(document=change.product)
