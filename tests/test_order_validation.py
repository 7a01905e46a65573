"""placeOrder refuses input it cannot use and takes no stock for it."""

from typing import Any

import pytest
from bson import ObjectId

from tests.factories import global_id, product_document
from tests.helpers import (
    DEFAULT_LIMITS,
    add_product,
    all_orders,
    leftover_holds,
    line,
    place,
    placed,
    refused,
    stock_of,
)

# Units of one product one order may have (the setting's default).
MAX_QUANTITY = DEFAULT_LIMITS.max_line_quantity


def _lines(count: int, product: dict[str, Any]) -> list[dict[str, Any]]:
    return [line(product, 1) for _ in range(count)]


INVALID_INPUTS = {
    "no lines": (lambda p: [], None, ["input", "items"]),
    "51 lines": (lambda p: _lines(51, p), None, ["input", "items"]),
    "quantity 0": (lambda p: [line(p, 0)], None, ["input", "items", "0", "quantity"]),
    "negative quantity": (
        lambda p: [line(p, 1), line(p, -1)],
        None,
        ["input", "items", "1", "quantity"],
    ),
    "quantity over the limit": (
        lambda p: [line(p, MAX_QUANTITY + 1)],
        None,
        ["input", "items", "0", "quantity"],
    ),
    "merged quantity over the limit": (
        lambda p: [line(p, MAX_QUANTITY - 40), line(p, 41)],
        None,
        ["input", "items", "0", "quantity"],
    ),
    "product ID not base64": (
        lambda p: [line(p, 1), {"productId": "not an id!", "quantity": 1}],
        None,
        ["input", "items", "1", "productId"],
    ),
    "ID of another type": (
        lambda p: [{"productId": global_id("User", p["_id"]), "quantity": 1}],
        None,
        ["input", "items", "0", "productId"],
    ),
    "ID not an ObjectId": (
        lambda p: [{"productId": global_id("Product", "12345"), "quantity": 1}],
        None,
        ["input", "items", "0", "productId"],
    ),
    "key of 201 characters": (lambda p: [line(p, 1)], "k" * 201, ["input", "idempotencyKey"]),
    "empty key": (lambda p: [line(p, 1)], "", ["input", "idempotencyKey"]),
}


@pytest.mark.parametrize("case", list(INVALID_INPUTS), ids=list(INVALID_INPUTS))
async def test_invalid_input_is_refused_and_takes_nothing(db, gql, customer, case):
    mug = await add_product(db, stock=2000)
    make_items, key, field = INVALID_INPUTS[case]

    payload = await place(gql, customer, make_items(mug), key)

    assert refused(payload) == [{"field": field, "code": "INVALID"}]
    assert await stock_of(db, mug) == 2000
    assert await all_orders(db) == []
    assert await db.counters.count_documents({}) == 0


async def test_every_invalid_line_is_reported(db, gql, customer):
    mug = await add_product(db, stock=10)

    payload = await place(
        gql,
        customer,
        [line(mug, 0), {"productId": "junk", "quantity": 1}, line(mug, MAX_QUANTITY + 1)],
        "k" * 201,
    )

    assert refused(payload) == [
        {"field": ["input", "items", "0", "quantity"], "code": "INVALID"},
        {"field": ["input", "items", "1", "productId"], "code": "INVALID"},
        {"field": ["input", "items", "2", "quantity"], "code": "INVALID"},
        {"field": ["input", "idempotencyKey"], "code": "INVALID"},
    ]
    assert await all_orders(db) == []


async def test_the_limits_themselves_are_allowed(db, gql, customer):
    mug = await add_product(db, stock=2000)
    pen = await add_product(db, stock=2000)

    fifty_lines = placed(await place(gql, customer, _lines(50, mug), "k" * 200))
    assert fifty_lines["items"][0]["quantity"] == 50
    most = placed(await place(gql, customer, [line(pen, 40), line(pen, MAX_QUANTITY - 40)]))
    assert most["items"][0]["quantity"] == MAX_QUANTITY

    assert await stock_of(db, mug) == 1950
    assert await stock_of(db, pen) == 2000 - MAX_QUANTITY
    stored = await all_orders(db)
    assert [order["idempotencyKey"] for order in stored if "idempotencyKey" in order] == ["k" * 200]


@pytest.mark.parametrize("inactive", [False, 0], ids=["active false", "active 0"])
async def test_inactive_products_cannot_be_ordered(db, gql, customer, inactive):
    mug = await add_product(db, stock=10)
    hidden = await add_product(db, stock=10, active=inactive)

    payload = await place(gql, customer, [line(mug, 1), line(hidden, 1)])

    assert refused(payload) == [
        {"field": ["input", "items", "1", "productId"], "code": "NOT_FOUND"}
    ]
    assert await stock_of(db, mug) == 10
    assert await stock_of(db, hidden) == 10
    assert await all_orders(db) == []


async def test_unknown_products_cannot_be_ordered(db, gql, customer):
    mug = await add_product(db, stock=10)

    payload = await place(gql, customer, [line(mug, 1), line(ObjectId(), 1)])

    assert refused(payload) == [
        {"field": ["input", "items", "1", "productId"], "code": "NOT_FOUND"}
    ]
    assert await stock_of(db, mug) == 10
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []


async def test_products_without_an_active_field_can_be_ordered(db, gql, customer):
    legacy = product_document(stock=3)
    del legacy["active"]
    await db.products.insert_one(legacy)

    order = placed(await place(gql, customer, [line(legacy, 2)]))

    assert order["items"][0]["quantity"] == 2
    assert await stock_of(db, legacy) == 1
