"""Catalog queries: one product, a filtered and sorted page of products, node refetch."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import strawberry
from bson import ObjectId

from shopgraph.datasources.product_variants import stored_variant
from shopgraph.datasources.products import ProductQuery, is_active
from shopgraph.documents import Document
from shopgraph.money import to_minor_units
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_global_id, object_id, variant_object_ids
from shopgraph.resolvers.loaders import DocumentKey
from shopgraph.resolvers.pagination import Ordering, PageArgs, SortValue, paginate
from shopgraph.resolvers.projection import document_fields
from shopgraph.schema.errors import BadUserInput
from shopgraph.schema.products import (
    Product,
    ProductConnection,
    ProductFilter,
    ProductSort,
    ProductSortField,
    SortDirection,
)
from shopgraph.schema.variants import ProductVariant

MAX_SEARCH_LENGTH = 200
MAX_FILTER_TAGS = 20

SORT_KEYS: dict[ProductSortField, tuple[str, type[SortValue]]] = {
    ProductSortField.CREATED_AT: ("createdAt", datetime),
    ProductSortField.NAME: ("name", str),
    ProductSortField.PRICE: ("price", int),
    ProductSortField.STOCK: ("stock", int),
}
DEFAULT_SORT = ProductSort(field=ProductSortField.CREATED_AT, direction=SortDirection.DESC)


async def visible_product(info: Info, document: Document | None) -> Product | None:
    """Inactive products exist only for admins; the user is loaded only for those."""
    if document is None:
        return None
    if not is_active(document) and not await info.context.viewer.is_admin():
        return None
    return Product(document=document)


def wanted_fields(info: Info) -> frozenset[str] | None:
    """The selected fields plus `active`, which decides whether the caller may see it."""
    fields = document_fields(info, (), Product.FIELDS)
    return None if fields is None else fields | {"active"}


def _price_bound(amount: Decimal | None, name: str, currency: str) -> int | None:
    if amount is None:
        return None
    try:
        return to_minor_units(amount, currency)
    except ValueError as error:
        raise BadUserInput(f"`filter.{name}` {error}.") from error


def product_query(filter_: ProductFilter | None, currency: str) -> ProductQuery:
    """The datasource's query from the API's filter, refusing what cannot be meant."""
    if filter_ is None:
        return ProductQuery()
    search = (filter_.search or "").strip() or None
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise BadUserInput(f"`filter.search` may be at most {MAX_SEARCH_LENGTH} characters.")
    tags = tuple(dict.fromkeys(filter_.tags or ()))
    if len(tags) > MAX_FILTER_TAGS:
        raise BadUserInput(f"`filter.tags` may list at most {MAX_FILTER_TAGS} tags.")
    query = ProductQuery(
        search=search,
        category=filter_.category,
        tags=tags,
        min_price=_price_bound(filter_.min_price, "minPrice", currency),
        max_price=_price_bound(filter_.max_price, "maxPrice", currency),
        in_stock=filter_.in_stock,
        include_inactive=filter_.include_inactive,
    )
    low, high = query.min_price, query.max_price
    if low is not None and high is not None and low > high:
        raise BadUserInput("`filter.minPrice` is greater than `filter.maxPrice`.")
    return query


def _ordering(sort: ProductSort) -> Ordering:
    key, value_type = SORT_KEYS[sort.field]
    descending = sort.direction is SortDirection.DESC
    return Ordering(
        f"products:{sort.field.value}:{sort.direction.value}", key, value_type, descending
    )


async def products(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    filter: ProductFilter | None = None,
    sort: ProductSort | None = None,
) -> ProductConnection:
    """Active products (admins may include inactive ones), newest first by default."""
    datasource = info.context.datasources.products
    query = product_query(filter, info.context.settings.currency)
    if query.include_inactive:
        await info.context.viewer.require_admin()
    args = PageArgs(first, after, last, before)
    ordering = _ordering(sort or DEFAULT_SORT)
    return await paginate(info, datasource, query, args, ordering, ProductConnection)


async def product(
    info: Info,
    id: strawberry.ID | None = None,
    sku: str | None = None,
) -> Product | None:
    """One active product by global ID or by SKU; null when there is none."""
    if (id is None) == (sku is None):
        raise BadUserInput("Give exactly one of `id` or `sku`.")
    fields = wanted_fields(info)
    if id is not None:
        key = DocumentKey(decode_global_id(id, "Product"), fields)
        document = await info.context.loaders.product.load(key)
    else:
        document = await info.context.datasources.products.by_sku(str(sku), fields)
    return await visible_product(info, document)


# Enough for any storefront's filter menu; a catalog with more needs search, not a list.
MAX_FACET_VALUES = 200


async def product_categories(info: Info) -> list[str]:
    return await info.context.datasources.products.active_values("category", MAX_FACET_VALUES)


async def product_tags(info: Info) -> list[str]:
    return await info.context.datasources.products.active_values("tags", MAX_FACET_VALUES)


async def products_by_node_ids(info: Info, node_ids: Sequence[str]) -> list[Product | None]:
    """`node(id)` refetch: invisible and missing products are null alike."""
    fields = wanted_fields(info)
    keys = [DocumentKey(object_id(node_id, "Product"), fields) for node_id in node_ids]
    documents = await info.context.loaders.product.load_many(keys)
    return [await visible_product(info, document) for document in documents]


async def visible_variant(
    info: Info, document: Document | None, variant_id: ObjectId
) -> ProductVariant | None:
    """A variant of a product the caller may see; null when either is missing."""
    product = await visible_product(info, document)
    variant = None if product is None else stored_variant(product.document, variant_id)
    if product is None or variant is None:
        return None
    return ProductVariant(product_document=product.document, variant=variant)


async def variants_by_node_ids(info: Info, node_ids: Sequence[str]) -> list[ProductVariant | None]:
    """`node(id)` refetch of variants: null for a missing variant or an invisible product."""
    ids = [variant_object_ids(node_id) for node_id in node_ids]
    keys = [DocumentKey(product_id, None) for product_id, _ in ids]
    documents = await info.context.loaders.product.load_many(keys)
    return [
        await visible_variant(info, document, variant_id)
        for (_, variant_id), document in zip(ids, documents, strict=True)
    ]
