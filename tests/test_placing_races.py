"""Races and failures in the middle of placing an order."""

import asyncio
from datetime import UTC, datetime

import pytest
from pymongo.errors import AutoReconnect

from shopgraph.checkout.order_lines import OrderLine, cart_key
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.datasources.stock_holds import StockHoldsDatasource
from tests.conftest import graphql
from tests.helpers import (
    ORDER_QUERY,
    PLACE,
    add_product,
    all_orders,
    leftover_holds,
    line,
    order_oid,
    place,
    placed,
    refused,
    reserving_order,
    stock_of,
    sweeper,
)


async def test_the_answer_is_the_order_as_stored(db, gql, customer):
    """placeOrder, a retry of it and order(id) describe one order identically."""
    mug = await add_product(db, stock=10)

    first = placed(await place(gql, customer, [line(mug, 1)], "same"))
    retry = placed(await place(gql, customer, [line(mug, 1)], "same"))
    body = await gql(ORDER_QUERY, {"id": first["id"]}, headers=customer.headers)

    assert retry == first
    assert body["data"]["order"] == first


async def test_a_retry_waits_for_the_request_still_placing_its_order(db, gql, customer):
    mug = await add_product(db, stock=10)
    # The first request with this key is still taking its stock (it took the mug's).
    first = reserving_order(customer, [(mug, 2)])
    first["createdAt"] = datetime.now(UTC)
    first["idempotencyKey"] = "in-flight"
    first["cartKey"] = cart_key([OrderLine(mug["_id"], None, 2, "input.items.0")])
    await db.orders.insert_one(first)
    await db.products.update_one({"_id": mug["_id"]}, {"$inc": {"stock": -2}})

    retry = asyncio.create_task(place(gql, customer, [line(mug, 2)], "in-flight"))
    await asyncio.sleep(0.3)
    assert not retry.done(), await retry
    # The first request finishes.
    await db.orders.update_one({"_id": first["_id"]}, {"$set": {"status": "PENDING", "number": 1}})
    order = placed(await asyncio.wait_for(retry, 5))

    assert order_oid(order) == first["_id"]
    assert order["number"] == 1
    assert await stock_of(db, mug) == 8
    assert len(await all_orders(db)) == 1


@pytest.mark.parametrize("change", ["deactivated", "deleted"])
async def test_a_product_withdrawn_while_the_order_is_placed_is_not_found(
    db, gql, customer, monkeypatch, change
):
    """The product is read as active, then withdrawn before its stock is taken."""
    mug = await add_product(db, stock=10)
    pen = await add_product(db, stock=10)
    read = ProductsDatasource.by_ids

    async def read_then_withdraw(self, ids, fields):
        found = await read(self, ids, fields)
        if change == "deactivated":
            await db.products.update_one({"_id": pen["_id"]}, {"$set": {"active": False}})
        else:
            await db.products.delete_one({"_id": pen["_id"]})
        return found

    monkeypatch.setattr(ProductsDatasource, "by_ids", read_then_withdraw)
    payload = await place(gql, customer, [line(mug, 1), line(pen, 1)])
    monkeypatch.undo()

    assert refused(payload) == [
        {"field": ["input", "items", "1", "productId"], "code": "NOT_FOUND"}
    ]
    assert await stock_of(db, mug) == 10
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []


async def test_a_failure_after_the_order_opened_keeps_its_stock_taken(
    db, gql, customer, monkeypatch
):
    """The database fails as the markers are removed: the order was already placed, so
    its stock must stay taken (the sweep removes the markers later), or else the order
    must be gone. Either way, stock plus ordered units stays what it was."""
    mug = await add_product(db, stock=10)
    settle = StockHoldsDatasource.settle
    failures = []

    async def settle_failing_once(self, product_ids, order_key, session=None):
        if not failures:
            failures.append(order_key)
            raise AutoReconnect("connection lost while settling")
        return await settle(self, product_ids, order_key, session)

    monkeypatch.setattr(StockHoldsDatasource, "settle", settle_failing_once)
    body = await gql(
        PLACE, {"input": {"items": [line(mug, 3)], "idempotencyKey": "k"}}, headers=customer.headers
    )
    monkeypatch.undo()
    assert failures, body

    async def units_accounted_for() -> int:
        live = [order for order in await all_orders(db) if order["status"] != "RESERVING"]
        ordered = sum(item["quantity"] for order in live for item in order["items"])
        return await stock_of(db, mug) + ordered

    assert await units_accounted_for() == 10
    await sweeper(db).recover()
    assert await units_accounted_for() == 10
    assert await leftover_holds(db) == []
    # The client retries with its key and gets one order, whatever happened.
    order = placed(await place(gql, customer, [line(mug, 3)], "k"))
    assert await stock_of(db, mug) == 7
    assert [stored["_id"] for stored in await all_orders(db)] == [order_oid(order)]


async def test_two_hundred_concurrent_orders_in_transactions(
    db, app_with, make_settings, customer, other_customer
):
    """Where MongoDB is a replica set, stock is reserved in transactions: contended
    transactions must still sell exactly the stock, with no internal errors."""
    if not await Datasources.for_database(db).supports_transactions():
        pytest.skip("MongoDB is not a replica set: no transactions (set MONGODB_URI)")
    mug = await add_product(db, stock=50)
    # Many orders per customer: the limits of one customer are not what this tests.
    roomy = make_settings(stock_transactions=True, max_pending_orders=200, max_held_units=200)
    async with app_with(roomy) as client:
        bodies = await asyncio.gather(
            *(
                graphql(
                    client,
                    PLACE,
                    {"input": {"items": [line(mug, 1)]}},
                    headers=(customer, other_customer)[n % 2].headers,
                )
                for n in range(200)
            )
        )

    assert [body for body in bodies if "errors" in body] == []
    payloads = [body["data"]["placeOrder"] for body in bodies]
    assert len([payload for payload in payloads if payload["order"] is not None]) == 50
    assert await stock_of(db, mug) == 0
    assert len(await all_orders(db)) == 50
    assert await leftover_holds(db) == []
