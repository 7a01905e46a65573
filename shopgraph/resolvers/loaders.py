"""DataLoaders: one per entity per request, so a page of N parents costs one query, not N."""

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from bson import ObjectId
from strawberry.dataloader import DataLoader

from shopgraph.clock import utc_now
from shopgraph.datasources.base import CollectionDatasource
from shopgraph.datasources.carts import CartsDatasource
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.discount_uses import DiscountUsesDatasource
from shopgraph.datasources.keyset import Page, PageRequest
from shopgraph.datasources.orders import OrderQuery, OrdersDatasource
from shopgraph.datasources.product_images import ProductImagesDatasource
from shopgraph.documents import Document


@dataclass(frozen=True, slots=True)
class DocumentKey:
    """An id and the document fields the caller needs (None: the whole document)."""

    id: ObjectId
    fields: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class UserOrdersKey:
    """One user's orders among those of `query` (whose own `user_id` is not used)."""

    user_id: ObjectId
    query: OrderQuery


@dataclass(frozen=True, slots=True)
class OrderPageKey:
    """A page of one user's orders, and the document fields the caller needs."""

    orders: UserOrdersKey
    request: PageRequest
    fields: frozenset[str] | None


def _union_of_fields(fields: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    """One projection that serves every key of the batch."""
    union: set[str] = set()
    for wanted in fields:
        if wanted is None:
            return None
        union |= wanted
    return frozenset(union)


def _covers(have: frozenset[str] | None, want: frozenset[str] | None) -> bool:
    """Whether a document read with projection `have` holds every field of `want`."""
    return have is None or (want is not None and want <= have)


def _batch_loader(
    datasource: CollectionDatasource, cache: bool
) -> DataLoader[DocumentKey, Document | None]:
    """Each event-loop tick's keys become one `find`, with one projection serving them all.

    With the cache on, a key whose document this request already read with every field it
    needs is answered from that read: the viewer's own account (read whole for the session
    check) serves `me { orders { edges { node { user { name } } } } }` without a second read.
    """
    read: dict[ObjectId, tuple[frozenset[str] | None, Document | None]] = {}

    async def load(keys: Sequence[DocumentKey]) -> list[Document | None]:
        missing = [
            key for key in keys if key.id not in read or not _covers(read[key.id][0], key.fields)
        ]
        answered: dict[ObjectId, Document | None] = {}
        if missing:
            fields = _union_of_fields(key.fields for key in missing)
            found = await datasource.by_ids({key.id for key in missing}, fields)
            answered = {key.id: found.get(key.id) for key in missing}
            if cache:
                read.update((id_, (fields, document)) for id_, document in answered.items())
        return [answered[key.id] if key.id in answered else read[key.id][1] for key in keys]

    return DataLoader(load, cache=cache)


def _order_page_loader(orders: OrdersDatasource, cache: bool) -> DataLoader[OrderPageKey, Page]:
    """The users of one tick that ask for the same page (status, size, cursor) are read
    together: one batch read per distinct page asked for, not one per user."""

    async def load(keys: Sequence[OrderPageKey]) -> list[Page]:
        groups: dict[tuple[OrderQuery, PageRequest], list[OrderPageKey]] = defaultdict(list)
        for key in keys:
            groups[key.orders.query, key.request].append(key)
        found = await asyncio.gather(
            *(
                orders.pages_by_user(
                    query,
                    [key.orders.user_id for key in group],
                    request,
                    _union_of_fields(key.fields for key in group),
                )
                for (query, request), group in groups.items()
            )
        )
        pages = dict(zip(groups, found, strict=True))
        return [pages[key.orders.query, key.request][key.orders.user_id] for key in keys]

    return DataLoader(load, cache=cache)


def _order_count_loader(orders: OrdersDatasource, cache: bool) -> DataLoader[UserOrdersKey, int]:
    """How many orders each user of one tick has: one read per distinct status asked for."""

    async def load(keys: Sequence[UserOrdersKey]) -> list[int]:
        groups: dict[OrderQuery, list[ObjectId]] = defaultdict(list)
        for key in keys:
            groups[key.query].append(key.user_id)
        found = await asyncio.gather(
            *(orders.counts_by_user(query, user_ids) for query, user_ids in groups.items())
        )
        counts = dict(zip(groups, found, strict=True))
        return [counts[key.query][key.user_id] for key in keys]

    return DataLoader(load, cache=cache)


def _use_count_loader(uses: DiscountUsesDatasource, cache: bool) -> DataLoader[ObjectId, int]:
    """How many uses each discount code of one tick has: one query for a page of codes."""

    async def load(keys: Sequence[ObjectId]) -> list[int]:
        counted = await uses.counts(set(keys))
        return [counted[key] for key in keys]

    return DataLoader(load, cache=cache)


def _open_cart_loader(carts: CartsDatasource, cache: bool) -> DataLoader[ObjectId, Document | None]:
    """Each tick's customers' open carts, in one read."""

    async def load(user_ids: Sequence[ObjectId]) -> list[Document | None]:
        found = await carts.open_of_users(list(user_ids), utc_now())
        return [found.get(user_id) for user_id in user_ids]

    return DataLoader(load, cache=cache)


def _images_of_products_loader(
    images: ProductImagesDatasource, cache: bool
) -> DataLoader[ObjectId, list[Document]]:
    """Each product's images, in order: one query for the products of one tick."""

    async def load(product_ids: Sequence[ObjectId]) -> list[list[Document]]:
        found = await images.of_products(set(product_ids))
        return [found.get(product_id, []) for product_id in product_ids]

    return DataLoader(load, cache=cache)


class Loaders:
    """`cache=False` for WebSocket connections: their context lives as long as the socket,
    and a cache would serve every later operation data as old as the connection.

    Each loader is made the first time a request uses it: a product page needs one of ten."""

    def __init__(self, datasources: Datasources, cache: bool = True) -> None:
        self._datasources = datasources
        self._cache = cache

    @cached_property
    def product(self) -> DataLoader[DocumentKey, Document | None]:
        return _batch_loader(self._datasources.products, self._cache)

    @cached_property
    def user(self) -> DataLoader[DocumentKey, Document | None]:
        return _batch_loader(self._datasources.users, self._cache)

    @cached_property
    def user_order_page(self) -> DataLoader[OrderPageKey, Page]:
        return _order_page_loader(self._datasources.orders, self._cache)

    @cached_property
    def user_order_count(self) -> DataLoader[UserOrdersKey, int]:
        return _order_count_loader(self._datasources.orders, self._cache)

    @cached_property
    def address_book(self) -> DataLoader[DocumentKey, Document | None]:
        return _batch_loader(self._datasources.address_books, self._cache)

    @cached_property
    def discount_code_uses(self) -> DataLoader[ObjectId, int]:
        return _use_count_loader(self._datasources.discount_uses, self._cache)

    @cached_property
    def open_cart(self) -> DataLoader[ObjectId, Document | None]:
        return _open_cart_loader(self._datasources.carts, self._cache)

    @cached_property
    def image(self) -> DataLoader[DocumentKey, Document | None]:
        return _batch_loader(self._datasources.product_images, self._cache)

    @cached_property
    def product_images(self) -> DataLoader[ObjectId, list[Document]]:
        return _images_of_products_loader(self._datasources.product_images, self._cache)

    @cached_property
    def variant_image(self) -> DataLoader[DocumentKey, Document | None]:
        return _batch_loader(self._datasources.variant_images, self._cache)
