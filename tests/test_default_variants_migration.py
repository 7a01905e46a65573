"""Migration 0001 on a database written in today's shape (documents inserted directly):
products stored before variants get exactly their default variant, every SKU its claim,
and running it again changes nothing."""

import asyncio
import logging
from typing import Any

from bson import ObjectId

from shopgraph.migrations import MIGRATIONS, MigrationRunner
from shopgraph.migrations import m0001_default_variants as m0001
from tests.factories import paid_order_document, product_document


def default_variant(product: dict[str, Any]) -> dict[str, Any]:
    return {
        "_id": product["_id"],
        "sku": product["sku"],
        "price": product["price"],
        "selectedOptions": [],
    }


def with_variants(**overrides: Any) -> dict[str, Any]:
    """A product as the code with variants writes it: two sizes, stock per variant."""
    small, large = ObjectId(), ObjectId()
    product = product_document(**overrides)
    product.update(
        options=[{"name": "Size", "values": ["S", "L"]}],
        variants=[
            {
                "_id": small,
                "sku": f"{product['sku']}-S",
                "price": product["price"],
                "selectedOptions": [{"name": "Size", "value": "S"}],
            },
            {
                "_id": large,
                "sku": f"{product['sku']}-L",
                "price": product["price"] + 200,
                "selectedOptions": [{"name": "Size", "value": "L"}],
            },
        ],
        variantStock={str(small): 4, str(large): 6},
        stock=10,
    )
    return product


async def migrate(db) -> list[str]:
    applied = await MigrationRunner(db, MIGRATIONS, wait_seconds=10).run()
    return [done.migration.id for done in applied]


async def everything(db) -> dict[str, list[dict[str, Any]]]:
    """Every collection's documents in `_id` order, sorted here: the embedded server cannot
    sort the collections of a GridFS bucket (the images' files)."""
    return {
        name: sorted(await db[name].find().to_list(), key=lambda document: str(document["_id"]))
        for name in sorted(await db.list_collection_names())
    }


async def claims(db) -> dict[str, ObjectId]:
    return {claim["_id"]: claim["productId"] async for claim in db.skus.find()}


async def test_products_stored_before_variants_get_exactly_their_default_variant(db):
    old = [
        product_document(),
        product_document(stock=0, active=False),
        product_document(holds={"order-1": 2}, returnsEpoch=3),
    ]
    await db.products.insert_many(old)

    assert await migrate(db) == ["0001-default-variants"]

    for before in old:
        after = await db.products.find_one({"_id": before["_id"]})
        assert after == {**before, "options": [], "variants": [default_variant(before)]}
        assert "variantStock" not in after  # one variant: `stock` is its stock of record
    assert await claims(db) == {product["sku"]: product["_id"] for product in old}


async def test_products_already_with_variants_are_untouched_and_their_skus_claimed(db):
    new = with_variants()
    await db.products.insert_one(new)

    await migrate(db)

    assert await db.products.find_one({"_id": new["_id"]}) == new
    assert await claims(db) == {
        new["sku"]: new["_id"],
        f"{new['sku']}-S": new["_id"],
        f"{new['sku']}-L": new["_id"],
    }


async def test_a_product_with_options_but_no_variants_keeps_its_options(db):
    product = product_document(options=[])
    await db.products.insert_one(product)

    await migrate(db)

    stored = await db.products.find_one({"_id": product["_id"]})
    assert stored["options"] == [] and stored["variants"] == [default_variant(product)]


async def test_a_sku_another_product_claimed_is_left_to_it_with_a_warning(db, caplog):
    product = product_document(sku="MUG-1")
    other = ObjectId()
    await db.products.insert_one(product)
    await db.skus.insert_one({"_id": "MUG-1", "productId": other})
    caplog.set_level(logging.WARNING, logger="shopgraph.migrations")

    await migrate(db)

    assert await claims(db) == {"MUG-1": other}
    assert f"SKU 'MUG-1' of product {product['_id']} is claimed by product {other}" in caplog.text
    stored = await db.products.find_one({"_id": product["_id"]})
    assert stored["variants"] == [default_variant(product)]


async def test_products_are_read_in_batches_and_all_reached(db):
    old = [product_document() for _ in range(7)]
    await db.products.insert_many(old)

    await m0001.give_default_variants(db, batch_size=3)

    async for product in db.products.find():
        assert product["variants"] == [default_variant(product)]
    assert len(await claims(db)) == 7


async def test_a_product_changed_after_it_was_read_is_read_again_not_overwritten(db):
    product = product_document(price=1000)
    await db.products.insert_one(product)
    read = await db.products.find_one({"_id": product["_id"]}, m0001.PROJECTION)
    await db.products.update_one({"_id": product["_id"]}, {"$set": {"price": 1500}})

    await m0001.set_default_variants(db.products, [read])

    stored = await db.products.find_one({"_id": product["_id"]})
    assert stored["variants"] == [default_variant({**product, "price": 1500})]


async def test_stock_sold_while_it_migrates_is_all_counted(db):
    """The migration never writes `stock`: decrements racing it all land."""
    old = [product_document(stock=40) for _ in range(30)]
    await db.products.insert_many(old)

    async def sell(product: dict[str, Any]) -> None:
        for _ in range(10):
            await db.products.update_one(
                {"_id": product["_id"], "stock": {"$gte": 1}}, {"$inc": {"stock": -1}}
            )

    await asyncio.gather(
        m0001.give_default_variants(db, batch_size=4), *(sell(product) for product in old)
    )

    async for product in db.products.find():
        assert product["stock"] == 30
        assert len(product["variants"]) == 1


async def test_a_document_without_a_sku_or_price_is_left_as_it_is(db, caplog):
    odd = {"_id": ObjectId(), "name": "written by another program", "stock": 1}
    fine = product_document()
    await db.products.insert_many([odd, fine])
    caplog.set_level(logging.WARNING, logger="shopgraph.migrations")

    await migrate(db)

    assert await db.products.find_one({"_id": odd["_id"]}) == odd
    assert f"product {odd['_id']} has no SKU or no integer price" in caplog.text
    assert (await db.products.find_one({"_id": fine["_id"]}))["variants"]
    assert await claims(db) == {fine["sku"]: fine["_id"]}


async def test_running_it_twice_changes_nothing(db):
    """Today's shape: products before and after variants, orders of them. The second run
    through the runner applies nothing; the migration itself, run again regardless of its
    record, changes nothing either."""
    old = [product_document() for _ in range(5)]
    new = with_variants()
    await db.products.insert_many([*old, new])
    await db.orders.insert_many(
        [paid_order_document(ObjectId(), product, minutes) for minutes, product in enumerate(old)]
    )

    assert await migrate(db) == ["0001-default-variants"]
    once = await everything(db)
    assert await migrate(db) == []
    await m0001.apply(db)

    assert await everything(db) == once
    assert len(once["skus"]) == 5 + 3
