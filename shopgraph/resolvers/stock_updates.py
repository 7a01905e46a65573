"""`stockUpdated`: live stock changes, from every server process and any other writer."""

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from shopgraph.datasources.products import is_active
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_global_id
from shopgraph.schema.errors import BadUserInput
from shopgraph.schema.stock import StockUpdate

ProductIds = Annotated[
    list[strawberry.ID] | None,
    strawberry.argument(
        description="The products to watch: at most as many as one page of `products` "
        "holds (100 by default). Omit it to watch every product."
    ),
]


async def stock_updated(
    info: Info, product_ids: ProductIds = None
) -> AsyncGenerator[StockUpdate, None]:
    """Changes of the given products, or of all when `productIds` is omitted. Inactive
    products are streamed to admins only. A bad ID ends this subscription with an error;
    the connection and its other subscriptions go on.

    `productIds` is capped at the page size: a storefront watches the products of the
    page it shows. The count is checked before any ID is decoded."""
    wanted = None
    if product_ids is not None:
        limit = info.context.settings.max_page_size
        if len(product_ids) > limit:
            raise BadUserInput(
                f"Subscribe to at most {limit} products at once; `productIds` "
                f"lists {len(product_ids)}."
            )
        wanted = {decode_global_id(raw, "Product") for raw in product_ids}
    sees_inactive = await info.context.viewer.is_admin()
    async with info.context.stock_broker.subscribe(wanted) as subscriber:
        while True:
            change = await subscriber.next()
            if sees_inactive or is_active(change.product):
                yield StockUpdate(document=change.product)
