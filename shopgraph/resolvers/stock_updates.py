"""`stockUpdated`: live stock changes, from every server process and any other writer."""

from collections.abc import AsyncGenerator, Callable
from contextvars import ContextVar
from typing import Annotated, Protocol

import strawberry

from shopgraph.catalog.variant_rules import MAX_VARIANTS
from shopgraph.datasources.products import is_active
from shopgraph.live.broker import Watched
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_global_id, decode_variant_id
from shopgraph.schema.errors import BadUserInput
from shopgraph.schema.stock import StockUpdate

ProductIds = Annotated[
    list[strawberry.ID] | None,
    strawberry.argument(
        description="The products to watch (all their variants): at most as many as one page "
        "of `products` holds (100 by default)."
    ),
]
VariantIds = Annotated[
    list[strawberry.ID] | None,
    strawberry.argument(
        description=f"The variants to watch: at most {MAX_VARIANTS}, as many as a product has."
    ),
]


class SharedStockStream(Protocol):
    """A transport's way to deliver one subscription's events together with every other
    subscription of the same document, variables and visibility."""

    # True once the transport keeps the subscription itself and has ended its operation.
    detached: bool

    async def follow(self, info: Info, watched: Watched, sees_inactive: bool) -> None:
        """Delivers this subscription's events until the operation is cancelled."""

    def when_left(self, callback: Callable[[], None]) -> None:
        """`callback` runs once, when a detached subscription ends."""


# Set by the graphql-transport-ws handler in each operation's task; unset elsewhere (the
# legacy graphql-ws protocol), where each subscriber's events are executed on their own.
SHARED_STOCK_STREAM: ContextVar[SharedStockStream | None] = ContextVar(
    "shared_stock_stream", default=None
)


def _within(ids: list[strawberry.ID] | None, limit: int, noun: str, argument: str) -> None:
    if ids is not None and len(ids) > limit:
        raise BadUserInput(
            f"Subscribe to at most {limit} {noun} at once; `{argument}` lists {len(ids)}."
        )


async def stock_updated(
    info: Info, product_ids: ProductIds = None, variant_ids: VariantIds = None
) -> AsyncGenerator[StockUpdate, None]:
    """A change for each variant whose stock changed, of the given products and variants,
    or of all when both are omitted. Inactive products are streamed to admins only. A bad
    ID ends this subscription with an error; the connection and its other subscriptions
    go on.

    The lists are capped (a storefront watches what its page shows); the counts are checked
    before any ID is decoded. Where the transport shares subscriptions (`SHARED_STOCK_STREAM`),
    this one joins its group and yields nothing itself."""
    _within(product_ids, info.context.settings.max_page_size, "products", "productIds")
    _within(variant_ids, MAX_VARIANTS, "variants", "variantIds")
    watched = Watched(
        None
        if product_ids is None
        else frozenset(decode_global_id(raw, "Product") for raw in product_ids),
        None
        if variant_ids is None
        else frozenset(decode_variant_id(raw)[1] for raw in variant_ids),
    )
    sees_inactive = await info.context.viewer.is_admin()
    shared = SHARED_STOCK_STREAM.get()
    if shared is not None:
        await shared.follow(info, watched, sees_inactive)
        return
    async with info.context.stock_broker.subscribe(watched) as subscriber:
        while True:
            change = await subscriber.next()
            if sees_inactive or is_active(change.product):
                yield StockUpdate(document=change.product, changed_variant_id=change.variant_id)
