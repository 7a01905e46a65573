"""placeOrder takes all of an order's stock or none of it, and snapshots its prices."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from bson import ObjectId

from tests.conftest import account
from tests.factories import global_id
from tests.helpers import (
    DELETE_PRODUCT,
    ORDER_QUERY,
    PLACE,
    UPDATE_PRODUCT,
    add_product,
    all_orders,
    gql_of,
    leftover_holds,
    line,
    order_oid,
    place,
    placed,
    refused,
    stock_of,
)

# --- placing an order ------------------------------------------------------------------


async def test_places_a_pending_order_with_prices_snapshotted_in_cents(db, gql, customer):
    mug = await add_product(db, sku="MUG-1", name="Mug", price=1250, stock=10)

    order = placed(await place(gql, customer, [line(mug, 3)]))

    assert order["status"] == "PENDING"
    assert order["number"] == 1
    assert order["items"] == [
        {
            "productId": global_id("Product", mug["_id"]),
            "sku": "MUG-1",
            "name": "Mug",
            "unitPrice": {"amount": "12.50", "currency": "USD"},
            "quantity": 3,
            "lineTotal": {"amount": "37.50", "currency": "USD"},
            "product": {"id": global_id("Product", mug["_id"]), "stock": 7},
        }
    ]
    assert order["subtotal"] == {"amount": "37.50", "currency": "USD"}
    assert order["total"] == {"amount": "37.50", "currency": "USD"}
    created = datetime.fromisoformat(order["createdAt"])
    expires = datetime.fromisoformat(order["holdExpiresAt"])
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)
    assert expires - created == timedelta(minutes=15)

    assert await stock_of(db, mug) == 7
    assert await leftover_holds(db) == []
    [stored] = await all_orders(db)
    assert stored["_id"] == order_oid(order)
    assert stored["userId"] == customer.id
    assert stored["status"] == "PENDING"
    assert stored["number"] == 1
    assert stored["currency"] == "USD"
    assert stored["subtotal"] == 3750 and isinstance(stored["subtotal"], int)
    assert stored["total"] == 3750 and isinstance(stored["total"], int)
    assert stored["items"] == [
        {
            "productId": mug["_id"],
            "variantId": mug["_id"],  # the default variant has the product's id
            "sku": "MUG-1",
            "name": "Mug",
            "variantTitle": None,  # a product without options
            "unitPrice": 1250,
            "quantity": 3,
            "lineTotal": 3750,
        }
    ]
    assert isinstance(stored["cartKey"], str) and stored["cartKey"]
    assert "idempotencyKey" not in stored or stored["idempotencyKey"] is None
    assert stored["holdExpiresAt"] - stored["createdAt"] == timedelta(minutes=15)

    # The owner sees it through the API, as the same order.
    body = await gql(ORDER_QUERY, {"id": order["id"]}, headers=customer.headers)
    assert body.get("errors") is None, body
    assert body["data"]["order"]["number"] == 1
    assert body["data"]["order"]["items"][0]["unitPrice"]["amount"] == "12.50"


async def test_anonymous_callers_cannot_place_orders(db, gql):
    mug = await add_product(db, stock=5)

    body = await gql(PLACE, {"input": {"items": [line(mug, 1)], "idempotencyKey": "k"}})

    assert body["data"] is None, body
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert await stock_of(db, mug) == 5
    assert await all_orders(db) == []


# Stock races place many orders per customer: the pending-order limit is not what they test.
MANY_PENDING = 1000


async def test_two_hundred_concurrent_orders_for_fifty_units_sell_exactly_fifty(
    db, app_with, make_settings, client, customer, other_customer
):
    third = await account(db, client, "third@shop.test", "CUSTOMER")
    buyers = [customer, other_customer, third]
    mug = await add_product(db, name="Race Mug", stock=50)
    lowest = {"stock": 50, "reads": 0}
    racing = True

    async def watch_stock() -> None:
        while racing:
            stock = await stock_of(db, mug)
            lowest["stock"] = min(lowest["stock"], stock)
            lowest["reads"] += 1
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch_stock())
    try:
        async with app_with(make_settings(max_pending_orders=MANY_PENDING)) as http:
            gql = gql_of(http)
            payloads = await asyncio.gather(
                *(place(gql, buyers[n % len(buyers)], [line(mug, 1)]) for n in range(200))
            )
    finally:
        racing = False
        await watcher

    won = [payload for payload in payloads if payload["order"] is not None]
    lost = [payload for payload in payloads if payload["order"] is None]
    assert len(won) == 50
    assert len(lost) == 150
    for payload in won:
        assert payload["userErrors"] == []
        assert payload["order"]["status"] == "PENDING"
        assert payload["order"]["items"][0]["quantity"] == 1
    for payload in lost:
        assert refused(payload) == [
            {"field": ["input", "items", "0", "quantity"], "code": "OUT_OF_STOCK"}
        ]
        message = payload["userErrors"][0]["message"]
        assert "Race Mug" in message and "Only 0" in message, message
    assert sorted(payload["order"]["number"] for payload in won) == list(range(1, 51))
    assert len({payload["order"]["id"] for payload in won}) == 50

    assert lowest["reads"] > 1, "the poller never ran during the race"
    assert lowest["stock"] >= 0
    assert await stock_of(db, mug) == 0
    stored = await all_orders(db)
    assert len(stored) == 50
    assert {order["status"] for order in stored} == {"PENDING"}
    assert [order["number"] for order in stored] == list(range(1, 51))
    assert await db.orders.count_documents({"status": "RESERVING"}) == 0
    assert await leftover_holds(db) == []
    # Each order is its buyer's: the per-buyer counts add up.
    per_buyer = [
        len(await db.orders.find({"userId": {"$in": [buyer.id]}}).to_list()) for buyer in buyers
    ]
    assert sum(per_buyer) == 50


async def test_one_customer_racing_themself_cannot_oversell(db, app_with, make_settings, customer):
    """Several units per order, one buyer: 30 orders of 3 for 40 units sell 13."""
    mug = await add_product(db, stock=40)

    async with app_with(make_settings(max_pending_orders=MANY_PENDING)) as http:
        gql = gql_of(http)
        payloads = await asyncio.gather(*(place(gql, customer, [line(mug, 3)]) for _ in range(30)))

    won = [payload for payload in payloads if payload["order"] is not None]
    assert len(won) == 13
    for payload in payloads:
        if payload["order"] is None:
            assert refused(payload) == [
                {"field": ["input", "items", "0", "quantity"], "code": "OUT_OF_STOCK"}
            ]
    assert await stock_of(db, mug) == 1
    assert len(await all_orders(db)) == 13
    assert await leftover_holds(db) == []


@pytest.mark.parametrize("short_line_first_in_input", [False, True])
async def test_an_order_with_one_short_line_takes_nothing(
    db, gql, customer, short_line_first_in_input
):
    # Lines are reserved in product-id order: the plentiful product's id sorts first, so
    # its stock is taken before the short line fails and must be given back.
    first_id, second_id = sorted([ObjectId(), ObjectId()], key=str)
    plenty = await add_product(db, _id=first_id, name="Plenty", stock=5)
    scarce = await add_product(db, _id=second_id, name="Scarce", sku="SCARCE-1", stock=1)
    items = [line(plenty, 2), line(scarce, 3)]
    if short_line_first_in_input:
        items.reverse()

    payload = await place(gql, customer, items)

    scarce_index = "0" if short_line_first_in_input else "1"
    assert refused(payload) == [
        {"field": ["input", "items", scarce_index, "quantity"], "code": "OUT_OF_STOCK"}
    ]
    message = payload["userErrors"][0]["message"]
    assert "Scarce" in message and "SCARCE-1" in message and "Only 1 " in message, message
    assert await stock_of(db, plenty) == 5
    assert await stock_of(db, scarce) == 1
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []

    # The failed attempt used no order number.
    order = placed(await place(gql, customer, [line(plenty, 2), line(scarce, 1)]))
    assert order["number"] == 1
    assert await stock_of(db, plenty) == 3
    assert await stock_of(db, scarce) == 0


async def test_repeated_lines_for_one_product_are_merged(db, gql, customer):
    mug = await add_product(db, price=500, stock=10)
    pen = await add_product(db, price=150, stock=10)

    order = placed(await place(gql, customer, [line(mug, 2), line(pen, 1), line(mug, 3)]))

    quantities = {item["productId"]: item["quantity"] for item in order["items"]}
    assert quantities == {
        global_id("Product", mug["_id"]): 5,
        global_id("Product", pen["_id"]): 1,
    }
    assert len(order["items"]) == 2
    line_totals = {item["productId"]: item["lineTotal"]["amount"] for item in order["items"]}
    assert line_totals[global_id("Product", mug["_id"])] == "25.00"
    assert order["total"]["amount"] == "26.50"
    assert await stock_of(db, mug) == 5
    assert await stock_of(db, pen) == 9
    [stored] = await all_orders(db)
    assert sorted(item["quantity"] for item in stored["items"]) == [1, 5]
    assert stored["total"] == 2650


async def test_merged_quantity_is_checked_against_stock(db, gql, customer):
    mug = await add_product(db, stock=4)

    payload = await place(gql, customer, [line(mug, 2), line(mug, 3)])

    assert refused(payload) == [
        {"field": ["input", "items", "0", "quantity"], "code": "OUT_OF_STOCK"}
    ]
    assert "Only 4 " in payload["userErrors"][0]["message"]
    assert await stock_of(db, mug) == 4
    assert await all_orders(db) == []


async def test_order_numbers_are_sequential_without_gaps(db, gql, customer, other_customer):
    mug = await add_product(db, stock=3)

    first = placed(await place(gql, customer, [line(mug, 1)]))
    # Failures of every kind in between use no number.
    assert refused(await place(gql, customer, [line(mug, 5)]))[0]["code"] == "OUT_OF_STOCK"
    assert refused(await place(gql, customer, [line(ObjectId(), 1)]))[0]["code"] == "NOT_FOUND"
    assert refused(await place(gql, customer, [line(mug, 0)]))[0]["code"] == "INVALID"
    second = placed(await place(gql, other_customer, [line(mug, 1)]))
    third = placed(await place(gql, customer, [line(mug, 1)]))

    assert [first["number"], second["number"], third["number"]] == [1, 2, 3]
    assert [order["number"] for order in await all_orders(db)] == [1, 2, 3]


# --- the snapshot ----------------------------------------------------------------------


async def test_the_order_keeps_its_prices_when_the_product_changes_or_goes(
    db, gql, customer, admin
):
    mug = await add_product(db, sku="MUG-1", name="Mug", price=1250, stock=10)
    order = placed(await place(gql, customer, [line(mug, 2)]))
    mug_id = global_id("Product", mug["_id"])

    body = await gql(
        UPDATE_PRODUCT,
        {"id": mug_id, "input": {"price": "99.99", "name": "Big Mug", "sku": "MUG-2"}},
        headers=admin.headers,
    )
    assert body["data"]["updateProduct"]["userErrors"] == [], body

    body = await gql(ORDER_QUERY, {"id": order["id"]}, headers=customer.headers)
    assert "errors" not in body, body
    [item] = body["data"]["order"]["items"]
    assert item["sku"] == "MUG-1"
    assert item["name"] == "Mug"
    assert item["unitPrice"]["amount"] == "12.50"
    assert item["lineTotal"]["amount"] == "25.00"
    assert item["product"] == {"id": mug_id, "stock": 8}
    assert body["data"]["order"]["total"]["amount"] == "25.00"

    body = await gql(DELETE_PRODUCT, {"id": mug_id}, headers=admin.headers)
    assert body["data"]["deleteProduct"] == {"deletedId": mug_id, "userErrors": []}, body

    for who in (customer, admin):
        body = await gql(ORDER_QUERY, {"id": order["id"]}, headers=who.headers)
        assert "errors" not in body, body
        [item] = body["data"]["order"]["items"]
        assert item["product"] is None
        assert item["productId"] == mug_id
        assert (item["sku"], item["name"]) == ("MUG-1", "Mug")
        assert item["unitPrice"]["amount"] == "12.50"
        assert body["data"]["order"]["total"]["amount"] == "25.00"
    [stored] = await all_orders(db)
    assert stored["items"][0]["unitPrice"] == 1250
    assert stored["total"] == 2500


async def test_amounts_are_exact_in_cents(db, gql, customer):
    odd = await add_product(db, price=333, stock=1000)

    order = placed(await place(gql, customer, [line(odd, 99)]))

    assert Decimal(order["items"][0]["lineTotal"]["amount"]) == Decimal("329.67")
    assert order["total"]["amount"] == "329.67"
    [stored] = await all_orders(db)
    assert stored["total"] == 32967
