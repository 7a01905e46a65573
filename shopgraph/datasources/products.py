"""The `products` collection: the catalog, its stock, and its indexes."""

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import utc_now
from shopgraph.datasources.base import CollectionDatasource, StockChanges
from shopgraph.datasources.product_variants import (
    VARIANT_FIELDS,
    VARIANT_RETRIES,
    VARIANTS_VERSION,
    VariantsUpdate,
    guessed_stock_update,
    stock_update,
    stored_variants,
)
from shopgraph.documents import Document

# A product is active unless `active` is false. Some servers (the embedded one among them)
# store a boolean written by `$set` as 0/1, so false is matched in both forms; documents
# other programs wrote without `active` count as active.
INACTIVE_VALUES = [False, 0]


def is_active(document: Document) -> bool:
    return document.get("active", True) not in INACTIVE_VALUES


# Tags the live stock feed's commands, to tell them apart in MongoDB's logs and profiler.
LIVE_FEED = "shopgraph live stock feed"


class SkuTaken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """Which products a listing shows; prices in minor units."""

    search: str | None = None
    category: str | None = None
    tags: Sequence[str] = ()
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool | None = None
    include_inactive: bool = False

    def to_filter(self) -> Document:
        filter_: Document = {}
        if not self.include_inactive:
            filter_["active"] = {"$nin": INACTIVE_VALUES}
        if self.search:
            pattern = {"$regex": re.escape(self.search), "$options": "i"}
            filter_["$and"] = [
                {"$or": [{"name": pattern}, {"sku": pattern}, {"description": pattern}]}
            ]
        if self.category is not None:
            filter_["category"] = self.category
        if self.tags:
            filter_["tags"] = {"$all": list(self.tags)}
        price: dict[str, int] = {}
        if self.min_price is not None:
            price["$gte"] = self.min_price
        if self.max_price is not None:
            price["$lte"] = self.max_price
        if price:
            filter_.update(_any_variant_priced(price))
        if self.in_stock is not None:
            # `stock` is the sum of the variants' stock: above zero when any has units.
            filter_["stock"] = {"$gt": 0} if self.in_stock else {"$lte": 0}
        return filter_


def _any_variant_priced(price: dict[str, int]) -> Document:
    """Products with a variant whose price is within the bounds. `price` is the lowest
    variant price, so an upper bound on it is a necessary condition an index can serve;
    a product stored without `variants` has its one price there."""
    conditions: Document = {
        "$or": [
            {"variants": {"$elemMatch": {"price": price}}},
            {"variants": {"$exists": False}, "price": price},
        ]
    }
    if "$lte" in price:
        conditions["price"] = {"$lte": price["$lte"]}
    return conditions


class ProductsDatasource(CollectionDatasource):
    def __init__(
        self, collection: AsyncCollection[Document], stock_changes: StockChanges | None = None
    ) -> None:
        super().__init__(collection)
        self.stock_changes = stock_changes or StockChanges()

    async def watch_writes(
        self, resume_after: Mapping[str, Any] | None
    ) -> AsyncChangeStream[Document]:
        """A change stream of inserts, updates, replacements (each with the product after
        the change) and deletes. Filtering on `operationType` alone works on every server
        we support."""
        return await self.collection.watch(
            [{"$match": {"operationType": {"$in": ["insert", "update", "replace", "delete"]}}}],
            full_document="updateLookup",
            resume_after=resume_after,
            comment=LIVE_FEED,
        )

    def every_stock(self) -> AsyncCursor[Document]:
        """Every product with its variants' stock, for the live stock feed to start from."""
        projection = dict.fromkeys(VARIANT_FIELDS, 1)
        return self.collection.find({}, projection, comment=LIVE_FEED, batch_size=1000)

    async def current(self, product_id: ObjectId) -> Document | None:
        """The product as stored now, read for the live stock feed."""
        return await self.collection.find_one({"_id": product_id}, comment=LIVE_FEED)

    # Single-key indexes only: the sort adds `_id` as a tie-breaker, which MongoDB handles
    # with a small in-memory sort of ties (and the embedded server cannot index `_id` in a
    # compound key).
    INDEXES = (
        IndexModel([("sku", ASCENDING)], name="sku_unique", unique=True),
        IndexModel([("createdAt", ASCENDING)], name="createdAt"),
        IndexModel([("name", ASCENDING)], name="name"),
        IndexModel([("price", ASCENDING)], name="price"),
        IndexModel([("stock", ASCENDING)], name="stock"),
        IndexModel([("category", ASCENDING)], name="category"),
        IndexModel([("tags", ASCENDING)], name="tags"),
        IndexModel([("variants.sku", ASCENDING)], name="variantSku"),
    )

    async def by_sku(self, sku: str, fields: Collection[str] | None) -> Document | None:
        projection = None if fields is None else dict.fromkeys(fields, 1)
        return await self.collection.find_one({"sku": sku}, projection)

    async def active_values(self, field: str, limit: int) -> list[str]:
        """The distinct non-empty strings in `field` (a string or a list of them) over the
        active products, sorted, at most `limit`: what a storefront's filters offer. An
        aggregation rather than `distinct`, whose filter the embedded server ignores."""
        cursor = await self.collection.aggregate(
            [
                {"$match": {"active": {"$nin": INACTIVE_VALUES}}},
                {"$unwind": f"${field}"},
                {"$group": {"_id": f"${field}"}},
                {"$sort": {"_id": ASCENDING}},
                {"$limit": limit},
            ]
        )
        return [value for doc in await cursor.to_list() if isinstance(value := doc["_id"], str)]

    async def sku_used_by_another(self, sku: str, product_id: ObjectId) -> bool:
        """Whether a product other than this one has the SKU, as its own or a variant's."""
        used = await self.collection.find_one(
            {
                "_id": {"$ne": product_id},
                "$or": [{"sku": sku}, {"variants": {"$elemMatch": {"sku": sku}}}],
            },
            {"_id": 1},
        )
        return used is not None

    async def is_empty(self) -> bool:
        return await self.collection.find_one({}, {"_id": 1}) is None

    async def insert_missing(self, products: Iterable[dict[str, Any]]) -> list[Document]:
        """Inserts the products whose SKU is not in the catalog yet; returns them. A product
        another process inserted meanwhile is skipped by the unique SKU."""
        wanted = list(products)
        skus = [product["sku"] for product in wanted]
        present = {doc["sku"] async for doc in self.collection.find({"sku": {"$in": skus}})}
        missing = [product for product in wanted if product["sku"] not in present]
        refused = {id(product) for product in await self.insert_new(missing)}
        return [product for product in missing if id(product) not in refused]

    async def delete_all(self) -> None:
        await self.collection.delete_many({})

    async def create(self, fields: Document) -> Document:
        """Raises SkuTaken: the unique index decides, even for concurrent creates."""
        now = utc_now()
        document = {**fields, "createdAt": now, "updatedAt": now}
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError as error:
            raise SkuTaken(fields.get("sku")) from error
        self.stock_changes.changed(document)
        return document

    async def update(self, product_id: ObjectId, changes: Document) -> Document | None:
        """The product after the change, or None when there is no such product. Raises
        SkuTaken."""
        update: Document = {"$currentDate": {"updatedAt": True}}
        if changes:
            update["$set"] = changes
        try:
            after = await self.collection.find_one_and_update(
                {"_id": product_id}, update, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError as error:
            raise SkuTaken(changes.get("sku")) from error
        if after is None and "sku" in changes and await self._exists(product_id):
            # Only the id was a condition: the unique SKU refused the update. The embedded
            # server answers that in findAndModify with "no document", not error 11000.
            raise SkuTaken(changes["sku"])
        return after

    async def _exists(self, product_id: ObjectId) -> bool:
        return await self.collection.find_one({"_id": product_id}, {"_id": 1}) is not None

    async def delete(self, product_id: ObjectId) -> bool:
        result = await self.collection.delete_one({"_id": product_id})
        if result.deleted_count == 1:
            self.stock_changes.removed(product_id)
        return result.deleted_count == 1

    async def with_variants(self, product_id: ObjectId) -> Document | None:
        """The product with what `product_variants` needs to know of its variants."""
        projection = dict.fromkeys([*VARIANT_FIELDS, "name", "options", "active"], 1)
        return await self.collection.find_one({"_id": product_id}, projection)

    async def change_variants(
        self, product_id: ObjectId, change: VariantsUpdate, fields: Document
    ) -> Document | None:
        """Applies a change of the variant list (and of other `fields`) in one update;
        None when the product changed in a way the change was pinned against, or is gone."""
        update = {**change.update, "$currentDate": {"updatedAt": True}}
        update["$set"] = {**update["$set"], **fields}
        try:
            after = await self.collection.find_one_and_update(
                {"_id": product_id, **change.conditions},
                update,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError as error:
            raise SkuTaken(fields.get("sku")) from error
        if (
            after is None
            and "sku" in fields
            and await self.sku_used_by_another(fields["sku"], product_id)
        ):
            raise SkuTaken(fields["sku"])  # as `update` explains
        self.stock_changes.changed(after)
        return after

    async def adjust_stock(
        self, product_id: ObjectId, variant_id: ObjectId | None, delta: int, max_stock: int
    ) -> Document | None:
        """One atomic conditional update: the variant's stock stays within 0..max_stock,
        whatever races it. `variant_id` None: the product's only variant.

        The first attempt assumes the shape the request suggests, so a product is read only
        when it is not that one. None when the product or variant does not exist (or the
        product has several variants and none was named), or the change would leave the range.
        """
        product: Document | None = None
        for _ in range(VARIANT_RETRIES):
            if product is None:
                update = guessed_stock_update(variant_id, delta)
            else:
                variants = stored_variants(product)
                if variant_id is None and len(variants) > 1:
                    return None
                target = variants[0].id if variant_id is None else variant_id
                update = stock_update(product, {target: delta})
            if update is None:
                return None
            conditions = dict(update.conditions)
            path = next(iter(update.increments))  # the variant's own stock comes first
            if delta > 0:
                conditions[path] = {"$lte": max_stock - delta}
            after = await self.collection.find_one_and_update(
                {"_id": product_id, **conditions},
                {"$inc": update.increments, "$currentDate": {"updatedAt": True}},
                return_document=ReturnDocument.AFTER,
            )
            if after is not None:
                self.stock_changes.changed(after)
                return after
            current = await self.with_variants(product_id)
            if current is None or (
                product is not None
                and current.get(VARIANTS_VERSION) == product.get(VARIANTS_VERSION)
            ):
                return None
            product = current
        return None
