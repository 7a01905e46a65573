"""updateProduct sets the stock only from the stock the admin saw (a compare-and-set), so
it never overwrites what orders took or gave back meanwhile."""

import asyncio
import re
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.catalog.products import Catalog
from shopgraph.catalog.sku_claims import SkuClaims
from shopgraph.datasources.client import Datasources
from shopgraph.errors import DomainError
from shopgraph.live.broker import StockBroker, Watched
from shopgraph.live.feed import StockFeed
from shopgraph.services import image_storage
from tests.conftest import account
from tests.helpers import (
    CANCEL,
    PLACE_ITEMS,
    UPDATE_PRODUCT,
    add_product,
    error,
    gid,
    movements,
    place_pending,
    stock_of,
    stored,
    succeeded,
    without_messages,
)
from tests.helpers import line as order_line

ORDERS_IN_THE_RACE = 30


async def update(as_admin, product: dict[str, Any], **input: Any) -> dict[str, Any]:
    """The `updateProduct` payload, asked for as the admin."""
    return (await as_admin(UPDATE_PRODUCT, {"id": gid(product), "input": input}))["updateProduct"]


async def test_setting_the_stock_without_the_stock_seen_is_invalid_and_changes_nothing(
    db, as_admin, mug
):
    payload = await update(as_admin, mug, name="Big mug", stock=7)

    assert payload["product"] is None
    [refusal] = payload["userErrors"]
    assert (refusal["field"], refusal["code"]) == (["input", "expectedStock"], "INVALID")
    assert "expectedStock" in refusal["message"]
    assert "adjustStock" in refusal["message"]
    assert await stored(db, mug) == mug
    assert await movements(db) == []


async def test_every_problem_of_the_input_is_reported_at_once(db, as_admin, mug):
    payload = await update(as_admin, mug, name=" ", stock=7)

    assert without_messages(payload["userErrors"]) == [
        error(["input", "name"], "INVALID"),
        error(["input", "expectedStock"], "INVALID"),
    ]
    assert await stored(db, mug) == mug


async def test_the_stock_seen_without_a_new_stock_is_invalid(db, as_admin, mug):
    for expected in (5, None):
        payload = await update(as_admin, mug, name="Big mug", expectedStock=expected)

        assert payload["product"] is None
        assert without_messages(payload["userErrors"]) == [
            error(["input", "expectedStock"], "INVALID")
        ]
    assert await stored(db, mug) == mug


async def test_a_stock_set_from_the_stock_seen_applies_with_the_rest_and_is_a_movement(
    db, as_admin, admin, mug
):
    payload = await update(as_admin, mug, name="Big mug", stock=9, expectedStock=5)

    assert payload["userErrors"] == []
    assert (payload["product"]["name"], payload["product"]["stock"]) == ("Big mug", 9)
    after = await stored(db, mug)
    assert (after["name"], after["stock"]) == ("Big mug", 9)
    [movement] = await movements(db)
    assert (movement["delta"], movement["stockAfter"], movement["reason"]) == (
        4,
        9,
        "updateProduct",
    )
    assert (movement["productId"], movement["userId"]) == (mug["_id"], admin.id)


async def test_a_stock_set_from_a_stale_stock_is_refused_and_nothing_of_the_update_applies(
    db, as_admin, mug
):
    await db.products.update_one({"_id": mug["_id"]}, {"$inc": {"stock": -2}})  # an order

    payload = await update(
        as_admin, mug, name="Big mug", price="9.00", tags=[], stock=9, expectedStock=5
    )

    assert payload["product"] is None
    [refusal] = payload["userErrors"]
    assert (refusal["field"], refusal["code"]) == (["input", "expectedStock"], "STOCK_CHANGED")
    assert "it is 3 now" in refusal["message"]
    assert await stored(db, mug) == {**mug, "stock": 3}
    assert await movements(db) == []

    # From the stock as it is now, the same update applies.
    payload = await update(
        as_admin, mug, name="Big mug", price="9.00", tags=[], stock=9, expectedStock=3
    )
    assert payload["userErrors"] == []
    assert [(m["delta"], m["stockAfter"]) for m in await movements(db)] == [(6, 9)]


async def test_a_stale_stock_no_longer_lets_a_cancellation_oversell(db, gql, as_admin, customer):
    """The shelf holds 10 mugs and the admin's page says 10. A customer orders 3: they are
    held for the order (stock 7) and still on the shelf. The admin, having counted 10 on
    the shelf, saves 10 from the page. The customer cancels and the 3 come back.

    Setting the stock outright made it 13 here, 3 more than the shelf holds, and a
    customer could then buy 13. Now the stale save is refused, and the stock stays exact."""
    mug = await add_product(db, sku="MUG-1", stock=10)
    order = await place_pending(gql, customer, (mug, 3))
    assert await stock_of(db, mug) == 7

    payload = await update(as_admin, mug, stock=10, expectedStock=10)
    cancelled = await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)

    assert payload["product"] is None
    [refusal] = payload["userErrors"]
    assert refusal["code"] == "STOCK_CHANGED"
    assert "it is 7 now" in refusal["message"]
    succeeded(cancelled, "cancelOrder", "CANCELLED")
    assert await stock_of(db, mug) == 10
    too_many = await gql(PLACE_ITEMS, {"items": [order_line(mug, 11)]}, headers=customer.headers)
    assert [e["code"] for e in too_many["data"]["placeOrder"]["userErrors"]] == ["OUT_OF_STOCK"]
    assert await movements(db) == []


async def test_a_stock_set_racing_orders_never_loses_what_they_took(db, gql, client, as_admin):
    """Orders take stock while the admin sets it from the 100 they saw: the new stock
    applies only if no order took any before it, and every order's units stay taken."""
    mug = await add_product(db, sku="MUG-1", stock=100)
    customers = [
        await account(db, client, f"racer{n}@shop.test", "CUSTOMER")
        for n in range(ORDERS_IN_THE_RACE // 3)
    ]
    items = {"items": [order_line(mug, 1)]}

    *bodies, set_stock = await asyncio.gather(
        *(gql(PLACE_ITEMS, items, headers=who.headers) for _ in range(3) for who in customers),
        update(as_admin, mug, stock=500, expectedStock=100),
    )

    placed = [body for body in bodies if body["data"]["placeOrder"]["order"] is not None]
    assert len(placed) == ORDERS_IN_THE_RACE, bodies
    recorded = await movements(db)
    if set_stock["userErrors"]:
        [refusal] = set_stock["userErrors"]
        assert refusal["code"] == "STOCK_CHANGED", refusal
        seen = int(re.search(r"it is (\d+) now", refusal["message"])[1])
        assert 100 - ORDERS_IN_THE_RACE <= seen < 100, refusal
        assert recorded == []
        assert await stock_of(db, mug) == 100 - ORDERS_IN_THE_RACE
    else:
        assert [(m["delta"], m["stockAfter"]) for m in recorded] == [(400, 500)]
        assert await stock_of(db, mug) == 500 - ORDERS_IN_THE_RACE


async def test_the_live_feed_sees_a_stock_set_from_the_stock_seen(db):
    """Through the change stream, and through this process's own writes where MongoDB
    cannot stream changes; a refused set publishes nothing."""
    mug = await add_product(db, sku="MUG-1", stock=5)
    datasources = Datasources.for_database(db)
    catalog = Catalog(
        datasources.products,
        datasources.stock_movements,
        SkuClaims(datasources.skus, datasources.products),
        "USD",
        image_storage(datasources),
    )
    admin_id = ObjectId()
    broker = StockBroker(10)
    feed = StockFeed(datasources, broker)
    running = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(feed.started.wait(), 5)
        assert feed.fallback is False
        async with broker.subscribe(Watched(frozenset([mug["_id"]]))) as subscriber:
            await catalog.update_product(mug["_id"], {"stock": 8, "expected_stock": 5}, admin_id)
            got = await asyncio.wait_for(subscriber.next(), 5)
            assert (got.product_id, got.product["stock"]) == (mug["_id"], 8)
    finally:
        feed.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    published: list[int] = []
    datasources.stock_changes.listen(
        lambda product: published.append(product["stock"]), lambda _: None
    )
    await catalog.update_product(mug["_id"], {"stock": 6, "expected_stock": 8}, admin_id)
    with pytest.raises(DomainError, match="it is 6 now"):
        await catalog.update_product(mug["_id"], {"stock": 1, "expected_stock": 8}, admin_id)
    assert published == [6]
