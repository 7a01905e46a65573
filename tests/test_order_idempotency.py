"""Idempotency keys: one order per key and cart, whatever the retries and races."""

import asyncio

import pytest

from tests.helpers import (
    add_product,
    all_orders,
    leftover_holds,
    line,
    order_oid,
    place,
    placed,
    refused,
    stock_of,
)


async def test_concurrent_retries_with_one_key_place_one_order(db, gql, customer):
    mug = await add_product(db, stock=10)

    payloads = await asyncio.gather(
        *(place(gql, customer, [line(mug, 2)], "checkout-1") for _ in range(10))
    )

    orders = [placed(payload) for payload in payloads]
    assert len({order["id"] for order in orders}) == 1
    assert {order["number"] for order in orders} == {1}
    assert {order["status"] for order in orders} == {"PENDING"}
    assert await stock_of(db, mug) == 8
    [stored] = await all_orders(db)
    assert stored["idempotencyKey"] == "checkout-1"
    assert stored["_id"] == order_oid(orders[0])
    assert await leftover_holds(db) == []

    # A later retry, in a different line order and split, is still the same cart.
    again = placed(await place(gql, customer, [line(mug, 1), line(mug, 1)], "checkout-1"))
    assert again["id"] == orders[0]["id"]
    assert await stock_of(db, mug) == 8
    assert len(await all_orders(db)) == 1


async def test_a_key_is_the_same_cart_whatever_the_line_order(db, gql, customer):
    mug = await add_product(db, stock=10)
    pen = await add_product(db, stock=10)

    first = placed(await place(gql, customer, [line(mug, 1), line(pen, 2)], "k"))
    again = placed(await place(gql, customer, [line(pen, 2), line(mug, 1)], "k"))

    assert again["id"] == first["id"]
    assert await stock_of(db, mug) == 9
    assert await stock_of(db, pen) == 8
    assert len(await all_orders(db)) == 1


@pytest.mark.parametrize(
    "other_cart",
    [
        pytest.param(lambda mug, pen: [line(mug, 2)], id="other quantity"),
        pytest.param(lambda mug, pen: [line(pen, 1)], id="other product"),
        pytest.param(lambda mug, pen: [line(mug, 1), line(pen, 1)], id="extra line"),
    ],
)
async def test_a_key_reused_for_another_cart_is_refused(db, gql, customer, other_cart):
    mug = await add_product(db, stock=10)
    pen = await add_product(db, stock=10)
    first = placed(await place(gql, customer, [line(mug, 1)], "checkout-1"))

    payload = await place(gql, customer, other_cart(mug, pen), "checkout-1")

    assert refused(payload) == [
        {"field": ["input", "idempotencyKey"], "code": "IDEMPOTENCY_KEY_REUSED"}
    ]
    assert await stock_of(db, mug) == 9
    assert await stock_of(db, pen) == 10
    [stored] = await all_orders(db)
    assert stored["_id"] == order_oid(first)


async def test_concurrent_requests_with_one_key_and_different_carts(db, gql, customer):
    mug = await add_product(db, stock=100)

    payloads = await asyncio.gather(
        *(place(gql, customer, [line(mug, 1 + n % 2)], "k") for n in range(10))
    )

    orders = [payload["order"] for payload in payloads if payload["order"] is not None]
    assert len({order["id"] for order in orders}) == 1
    quantity = orders[0]["items"][0]["quantity"]
    for payload in payloads:
        if payload["order"] is None:
            assert refused(payload) == [
                {"field": ["input", "idempotencyKey"], "code": "IDEMPOTENCY_KEY_REUSED"}
            ]
    assert len(orders) == 5
    assert await stock_of(db, mug) == 100 - quantity
    assert len(await all_orders(db)) == 1


async def test_another_customer_may_use_the_same_key(db, gql, customer, other_customer):
    mug = await add_product(db, stock=10)

    mine = placed(await place(gql, customer, [line(mug, 1)], "shared-key"))
    theirs = placed(await place(gql, other_customer, [line(mug, 2)], "shared-key"))

    assert mine["id"] != theirs["id"]
    assert [mine["number"], theirs["number"]] == [1, 2]
    assert await stock_of(db, mug) == 7
    assert len(await all_orders(db)) == 2
    # Each one's retry still finds their own order.
    assert placed(await place(gql, customer, [line(mug, 1)], "shared-key"))["id"] == mine["id"]
    assert (
        placed(await place(gql, other_customer, [line(mug, 2)], "shared-key"))["id"]
        == (theirs["id"])
    )
    assert await stock_of(db, mug) == 7


async def test_a_key_whose_order_failed_can_be_retried(db, gql, customer, admin):
    mug = await add_product(db, stock=1)

    payload = await place(gql, customer, [line(mug, 3)], "retry-me")
    assert refused(payload)[0]["code"] == "OUT_OF_STOCK"
    assert await all_orders(db) == []

    await db.products.update_one({"_id": mug["_id"]}, {"$set": {"stock": 5}})
    order = placed(await place(gql, customer, [line(mug, 3)], "retry-me"))

    assert order["number"] == 1
    assert await stock_of(db, mug) == 2
    assert len(await all_orders(db)) == 1


async def test_without_a_key_every_request_is_a_new_order(db, gql, customer):
    mug = await add_product(db, stock=10)

    first = placed(await place(gql, customer, [line(mug, 1)]))
    second = placed(await place(gql, customer, [line(mug, 1)]))

    assert first["id"] != second["id"]
    assert await stock_of(db, mug) == 8
