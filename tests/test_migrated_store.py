"""A store written before variants keeps working once migrated: its products, its orders
and a hold a crashed process left, through the API; and migrating twice changes nothing."""

from datetime import UTC, datetime
from typing import Any

from shopgraph.migrations import MIGRATIONS, MigrationRunner
from tests.factories import global_id, product_document
from tests.helpers import (
    CANCEL,
    LONG_AGO,
    ORDER_FIELDS,
    leftover_holds,
    line,
    place,
    placed,
    reserving_order,
    stock_of,
    stored_lines,
    succeeded,
    sweeper,
)

PRODUCT = """query P($id: ID!) { product(id: $id) {
  stock variants { id sku title price { amount } stock } } }"""
ORDER = f"""query O($id: ID!) {{ order(id: $id) {{
  {ORDER_FIELDS} items {{ variantId variantTitle }} }} }}"""
CREATE = """mutation C($input: ProductCreateInput!) {
  createProduct(input: $input) { product { sku } userErrors { field code } } }"""
CREATE_VARIANT = """mutation V($productId: ID!, $input: VariantInput!) {
  createVariant(productId: $productId, input: $input) {
    variant { sku stock } product { stock } userErrors { field code } } }"""


async def migrate(db) -> None:
    await MigrationRunner(db, MIGRATIONS, wait_seconds=10).run()


async def everything(db) -> dict[str, list[dict[str, Any]]]:
    """Every collection's documents in `_id` order, sorted here: the embedded server cannot
    sort the collections of a GridFS bucket (the images' files)."""
    return {
        name: sorted(await db[name].find().to_list(), key=lambda document: str(document["_id"]))
        for name in sorted(await db.list_collection_names())
    }


async def a_store_written_before_variants(db, customer) -> dict[str, Any]:
    """Two products, a pending order of 3 mugs (its stock taken), and a hold that a
    process which died placing an order left on the pen, all in the old shape."""
    mug = product_document(sku="MUG-1", name="Mug", stock=10 - 3)
    pen = product_document(sku="PEN-1", name="Pen", stock=20 - 2)
    await db.products.insert_many([mug, pen])
    order = {
        **reserving_order(customer, [(mug, 3)]),
        "status": "PENDING",
        "number": 900,  # numbered by the store's counter, which new orders go on from
        "createdAt": datetime.now(UTC),
        "holdExpiresAt": datetime.now(UTC).replace(year=2100),
    }
    order.pop("idempotencyKey")
    crashed = reserving_order(customer, [(pen, 2)])
    await db.orders.insert_many([order, crashed])
    at_ms = int(LONG_AGO.timestamp() * 1000)
    await db.products.update_one(
        {"_id": pen["_id"]},
        {"$set": {f"holds.{crashed['_id']}": {"quantity": 2, "atMs": at_ms}}},
    )
    assert order["items"] == stored_lines([(mug, 3)])  # no variant in the old lines
    return {"mug": mug, "pen": pen, "order": order}


async def test_products_orders_and_holds_of_the_old_shape_work_after_migrating(
    db, gql, customer, admin
):
    store = await a_store_written_before_variants(db, customer)
    mug, pen, order = store["mug"], store["pen"], store["order"]

    await migrate(db)

    # Each product has its default variant: the product's id, SKU, price and stock.
    body = await gql(PRODUCT, {"id": global_id("Product", mug["_id"])})
    [variant] = body["data"]["product"]["variants"]
    assert variant == {
        "id": global_id("ProductVariant", f"{mug['_id']}:{mug['_id']}"),
        "sku": "MUG-1",
        "title": "Default Title",
        "price": {"amount": f"{mug['price'] / 100:.2f}"},
        "stock": 7,
    }
    # The old order reads its line as the default variant, and cancelling it gives the
    # units back to that variant.
    order_id = global_id("Order", order["_id"])
    body = await gql(ORDER, {"id": order_id}, headers=customer.headers)
    assert body["data"]["order"]["items"][0]["variantId"] == variant["id"]
    body = await gql(CANCEL, {"id": order_id}, headers=customer.headers)
    succeeded(body, "cancelOrder", "CANCELLED")
    assert await stock_of(db, mug) == 10
    # The hold of the process that died is released by the sweep.
    await sweeper(db).recover()
    assert await stock_of(db, pen) == 20
    assert await leftover_holds(db) == []
    # Orders by product and by variant both work.
    placed(await place(gql, customer, [line(mug, 1)]))
    by_variant = [{"variantId": variant["id"], "quantity": 2}]
    placed(await place(gql, customer, by_variant))
    assert await stock_of(db, mug) == 7
    # The old SKUs are claimed: nobody else may take them, not even as a variant.
    body = await gql(
        CREATE, {"input": {"sku": "PEN-1", "name": "X", "price": "1.00"}}, headers=admin.headers
    )
    taken = [{"field": ["input", "sku"], "code": "ALREADY_EXISTS"}]
    assert body["data"]["createProduct"]["userErrors"] == taken
    body = await gql(
        CREATE_VARIANT,
        {"productId": global_id("Product", mug["_id"]), "input": {"sku": "PEN-1", "price": "1"}},
        headers=admin.headers,
    )
    assert body["data"]["createVariant"]["userErrors"] == taken


async def test_migrating_twice_changes_nothing(db, customer):
    await a_store_written_before_variants(db, customer)
    await migrate(db)
    once = await everything(db)

    await migrate(db)

    assert await everything(db) == once
    assert {p["sku"] for p in once["products"]} == {"MUG-1", "PEN-1"}
    assert all(len(p["variants"]) == 1 for p in once["products"])
    assert {claim["_id"] for claim in once["skus"]} == {"MUG-1", "PEN-1"}
