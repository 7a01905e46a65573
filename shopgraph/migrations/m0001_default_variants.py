"""0001: products stored before variants get their default variant, and every SKU a
product holds gets its claim in the SKU registry.

A product without a `variants` field reads as having one default variant (the product's
`_id`, SKU and price, no options); this writes that variant down, with `options: []` where
there were none. `stock` stays untouched, the one variant's stock of record, and no
`variantStock` is made. The registry (`skus`, one document per SKU, unique `_id`) must
know the SKUs taken before it existed, or a new variant could take an old product's SKU;
a SKU that another product has claimed already is left to it, with a warning.

Idempotent: claims of the same product are duplicates to ignore, and a product is given
its variant only while it has none and still has the SKU and price that were read, so a
product changed meanwhile is read again, never overwritten. Products are read 500 at a
time, in `_id` order.
"""

import logging
from collections.abc import Iterator

from bson import ObjectId
from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from shopgraph.documents import Document
from shopgraph.migrations.migration import Database

NUMBER = 1
NAME = "default-variants"

BATCH_SIZE = 500
ATTEMPTS = 5  # reads of a product that keeps changing under the update, before giving up
DUPLICATE_KEY = 11000
PROJECTION = {"sku": 1, "price": 1, "options": 1, "variants": 1}

logger = logging.getLogger("shopgraph.migrations")


async def apply(database: Database) -> None:
    await give_default_variants(database, batch_size=BATCH_SIZE)


async def give_default_variants(database: Database, *, batch_size: int) -> None:
    products = database["products"]
    after: ObjectId | None = None
    while True:
        query = {} if after is None else {"_id": {"$gt": after}}
        batch = (
            await products.find(query, PROJECTION)
            .sort("_id", ASCENDING)
            .limit(batch_size)
            .to_list()
        )
        if not batch:
            return
        after = batch[-1]["_id"]
        batch = [product for product in batch if _is_whole(product)]
        # Claims first: a run that stops in between leaves products without variants,
        # which the next run reads (and claims for) again.
        await _claim_skus(database["skus"], batch)
        await set_default_variants(products, [p for p in batch if "variants" not in p])


def _is_whole(product: Document) -> bool:
    """A document some other program wrote without a SKU or an integer price has no
    default variant to write down: it is left as it is, with a warning."""
    price = product.get("price")
    whole_price = isinstance(price, int) and not isinstance(price, bool)  # bson's Int64 too
    if isinstance(product.get("sku"), str) and whole_price:
        return True
    logger.warning("product %s has no SKU or no integer price; left as it is", product["_id"])
    return False


def _skus_of(product: Document) -> Iterator[str]:
    yield product["sku"]
    for variant in product.get("variants") or []:
        if isinstance(variant, dict) and isinstance(variant.get("sku"), str):
            yield variant["sku"]


async def _claim_skus(skus: AsyncCollection[Document], batch: list[Document]) -> None:
    claims = list(
        {
            (sku, product["_id"]): {"_id": sku, "productId": product["_id"]}
            for product in batch
            for sku in _skus_of(product)
        }.values()
    )
    if not claims:
        return
    try:
        await skus.insert_many(claims, ordered=False)
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if any(write_error.get("code") != DUPLICATE_KEY for write_error in errors):
            raise
        await _warn_of_taken_skus(skus, [claims[write_error["index"]] for write_error in errors])


async def _warn_of_taken_skus(skus: AsyncCollection[Document], refused: list[Document]) -> None:
    """A refused claim is the product's own from an earlier run, or another product's."""
    held = {
        claim["_id"]: claim.get("productId")
        async for claim in skus.find({"_id": {"$in": [claim["_id"] for claim in refused]}})
    }
    for claim in refused:
        holder = held.get(claim["_id"])
        if holder != claim["productId"]:
            logger.warning(
                "SKU %r of product %s is claimed by product %s; left to that product",
                claim["_id"],
                claim["productId"],
                holder,
            )


def _default_variant_update(product: Document) -> UpdateOne:
    changes: Document = {
        "variants": [
            {
                "_id": product["_id"],
                "sku": product["sku"],
                "price": product["price"],
                "selectedOptions": [],
            }
        ]
    }
    if "options" not in product:
        changes["options"] = []
    return UpdateOne(
        {
            "_id": product["_id"],
            "variants": {"$exists": False},
            "sku": product["sku"],
            "price": product["price"],
        },
        {"$set": changes},
    )


async def set_default_variants(products: AsyncCollection[Document], batch: list[Document]) -> None:
    """Gives the products of `batch` (as read, with PROJECTION) their default variant,
    reading again those that changed in between."""
    for _ in range(ATTEMPTS):
        if not batch:
            return
        result = await products.bulk_write(
            [_default_variant_update(product) for product in batch], ordered=False
        )
        if result.matched_count == len(batch):
            return
        # Some changed (or went) between the read and the update: read those again.
        changed = await products.find(
            {"_id": {"$in": [product["_id"] for product in batch]}, "variants": {"$exists": False}},
            PROJECTION,
        ).to_list()
        batch = [product for product in changed if _is_whole(product)]
    if batch:
        raise RuntimeError(
            f"{len(batch)} products changed under every one of {ATTEMPTS} attempts to give "
            f"them their default variant (first {batch[0]['_id']}); run the migration again"
        )
