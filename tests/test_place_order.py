"""placeOrder: all of an order's stock or none of it, one order per idempotency key.

Every test checks what the API answers and what the database then holds: the `orders`
collection, the product's `stock`, and the `holds.<orderId>` markers a reservation leaves
on products. The crash-recovery tests arrange half-done reservations directly in the
database and run the sweep by hand (background tasks are off in tests).
"""

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from bson import ObjectId
from pymongo.errors import AutoReconnect

from shopgraph.checkout.order_lines import OrderLine, cart_key
from shopgraph.checkout.orders import Orders
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.datasources.stock_holds import StockHoldsDatasource
from shopgraph.integrations import payments
from tests.conftest import Account, account, graphql
from tests.factories import global_id, product_document
from tests.helpers import order_service

ORDER = """
  id number status
  items {
    productId sku name unitPrice { amount currency } quantity lineTotal { amount currency }
    product { id stock }
  }
  subtotal { amount currency } total { amount currency } holdExpiresAt createdAt
"""
PLACE = f"""mutation Place($input: PlaceOrderInput!) {{
  placeOrder(input: $input) {{ order {{ {ORDER} }} userErrors {{ field message code }} }}
}}"""
ORDER_QUERY = f"""query One($id: ID!) {{ order(id: $id) {{ {ORDER} }} }}"""
MY_ORDERS = """query { orders(first: 100) { totalCount edges { node { id number status } } } }"""
NODE = """query Node($id: ID!) { node(id: $id) { id } }"""
UPDATE_PRODUCT = """mutation Update($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { product { id } userErrors { field message code } }
}"""
DELETE_PRODUCT = """mutation Delete($id: ID!) {
  deleteProduct(id: $id) { deletedId userErrors { field message code } }
}"""


# --- helpers -------------------------------------------------------------------------


async def add_product(db, **overrides: Any) -> dict[str, Any]:
    document = product_document(**overrides)
    await db.products.insert_one(document)
    return document


def line(product: dict[str, Any] | ObjectId, quantity: int) -> dict[str, Any]:
    product_id = product if isinstance(product, ObjectId) else product["_id"]
    return {"productId": global_id("Product", product_id), "quantity": quantity}


async def place(
    gql, who: Account | None, items: list[dict[str, Any]], key: str | None = None
) -> dict[str, Any]:
    """The `placeOrder` payload; fails the test on a GraphQL error."""
    variables: dict[str, Any] = {"input": {"items": items}}
    if key is not None:
        variables["input"]["idempotencyKey"] = key
    body = await gql(PLACE, variables, headers=who.headers if who else None)
    assert "errors" not in body, body
    return body["data"]["placeOrder"]


def placed(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload
    assert payload["order"] is not None, payload
    return payload["order"]


def refused(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The userErrors of a refused order, without messages (each must have one)."""
    assert payload["order"] is None, payload
    assert payload["userErrors"], payload
    for error in payload["userErrors"]:
        assert error["message"], payload
    return [{"field": error["field"], "code": error["code"]} for error in payload["userErrors"]]


def order_oid(order: dict[str, Any]) -> ObjectId:
    """The ObjectId inside an Order's global ID."""
    type_name, _, raw = base64.b64decode(order["id"]).decode().partition(":")
    assert type_name == "Order"
    return ObjectId(raw)


async def stock_of(db, product: dict[str, Any]) -> int:
    document = await db.products.find_one({"_id": product["_id"]})
    assert document is not None
    return document["stock"]


async def all_orders(db) -> list[dict[str, Any]]:
    return await db.orders.find({}).sort("number", 1).to_list()


async def leftover_holds(db) -> list[tuple[ObjectId, dict[str, Any]]]:
    """(product id, holds) of every product that still carries a non-empty marker."""
    found = []
    async for product in db.products.find({}):
        if product.get("holds"):
            found.append((product["_id"], product["holds"]))
    return found


def sweeper(db, grace: timedelta = timedelta(0)) -> Orders:
    return order_service(
        Datasources.for_database(db), payments.TestGateway(), "shop@shop.test", grace=grace
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
    assert expires - created == timedelta(minutes=30)

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
            "sku": "MUG-1",
            "name": "Mug",
            "unitPrice": 1250,
            "quantity": 3,
            "lineTotal": 3750,
        }
    ]
    assert isinstance(stored["cartKey"], str) and stored["cartKey"]
    assert "idempotencyKey" not in stored or stored["idempotencyKey"] is None
    assert stored["holdExpiresAt"] - stored["createdAt"] == timedelta(minutes=30)

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


async def test_two_hundred_concurrent_orders_for_fifty_units_sell_exactly_fifty(
    db, gql, client, customer, other_customer
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


async def test_one_customer_racing_themself_cannot_oversell(db, gql, customer):
    """Several units per order, one buyer: 30 orders of 3 for 40 units sell 13."""
    mug = await add_product(db, stock=40)

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


# --- validation ------------------------------------------------------------------------


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
    "quantity 1001": (lambda p: [line(p, 1001)], None, ["input", "items", "0", "quantity"]),
    "merged quantity over 1000": (
        lambda p: [line(p, 600), line(p, 401)],
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
        [line(mug, 0), {"productId": "junk", "quantity": 1}, line(mug, 1001)],
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
    thousand = placed(await place(gql, customer, [line(pen, 400), line(pen, 600)]))
    assert thousand["items"][0]["quantity"] == 1000

    assert await stock_of(db, mug) == 1950
    assert await stock_of(db, pen) == 1000
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


# --- idempotency keys ------------------------------------------------------------------


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

    order = placed(await place(gql, customer, [line(odd, 999)]))

    assert Decimal(order["items"][0]["lineTotal"]["amount"]) == Decimal("3326.67")
    assert order["total"]["amount"] == "3326.67"
    [stored] = await all_orders(db)
    assert stored["total"] == 332667


# --- crash recovery --------------------------------------------------------------------

LONG_AGO = datetime.now(UTC) - timedelta(hours=1)


def reserving_order(user: Account, items: list[tuple[dict[str, Any], int]]) -> dict[str, Any]:
    """An order as a process that died while taking its stock leaves it."""
    lines = [
        {
            "productId": product["_id"],
            "sku": product["sku"],
            "name": product["name"],
            "unitPrice": product["price"],
            "quantity": quantity,
            "lineTotal": product["price"] * quantity,
        }
        for product, quantity in items
    ]
    total = sum(item["lineTotal"] for item in lines)
    return {
        "_id": ObjectId(),
        "userId": user.id,
        "items": lines,
        "subtotal": total,
        "total": total,
        "currency": "USD",
        "status": "RESERVING",
        "cartKey": "crashed",
        "idempotencyKey": "crashed-key",
        "createdAt": LONG_AGO,
        "updatedAt": LONG_AGO,
        "holdExpiresAt": LONG_AGO + timedelta(minutes=30),
    }


async def hold_by_hand(db, product: dict[str, Any], order_key: str, quantity: int) -> None:
    """What `take` does: the stock goes down and a marker says for whom."""
    at_ms = int(LONG_AGO.timestamp() * 1000)
    result = await db.products.update_one(
        {"_id": product["_id"]},
        {
            "$inc": {"stock": -quantity},
            "$set": {f"holds.{order_key}": {"quantity": quantity, "atMs": at_ms}},
        },
    )
    assert result.modified_count == 1


async def test_recovery_gives_back_the_stock_of_an_order_that_died_reserving(
    db, gql, customer, admin
):
    mug = await add_product(db, stock=10)
    pen = await add_product(db, stock=10)
    crashed = reserving_order(customer, [(mug, 3), (pen, 4)])
    await db.orders.insert_one(crashed)
    # It died after the mug's line and before the pen's.
    await hold_by_hand(db, mug, str(crashed["_id"]), 3)
    assert await stock_of(db, mug) == 7

    # Meanwhile the order is invisible through the API.
    order_id = global_id("Order", crashed["_id"])
    body = await gql(MY_ORDERS, headers=customer.headers)
    assert body["data"]["orders"]["totalCount"] == 0, body
    body = await gql(MY_ORDERS, headers=admin.headers)
    assert body["data"]["orders"]["totalCount"] == 0, body
    for who in (customer, admin):
        body = await gql(NODE, {"id": order_id}, headers=who.headers)
        assert body == {"data": {"node": None}}, body
    body = await gql(ORDER_QUERY, {"id": order_id}, headers=admin.headers)
    assert body == {"data": {"order": None}}, body

    await sweeper(db).recover()
    await sweeper(db).recover()

    assert await stock_of(db, mug) == 10
    assert await stock_of(db, pen) == 10
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []

    # Its idempotency key is free again, and its number was never used.
    order = placed(await place(gql, customer, [line(mug, 3), line(pen, 4)], "crashed-key"))
    assert order["number"] == 1
    assert await stock_of(db, mug) == 7


async def test_recovery_leaves_young_reservations_alone(db, customer):
    """Younger than the grace period, a reservation may belong to a live request."""
    mug = await add_product(db, stock=10)
    live = reserving_order(customer, [(mug, 2)])
    half_a_minute_ago = datetime.now(UTC) - timedelta(seconds=30)
    live["createdAt"] = half_a_minute_ago
    await db.orders.insert_one(live)
    at_ms = int(half_a_minute_ago.timestamp() * 1000)
    await db.products.update_one(
        {"_id": mug["_id"]},
        {"$inc": {"stock": -2}, "$set": {f"holds.{live['_id']}": {"quantity": 2, "atMs": at_ms}}},
    )
    # A stale hold on the same product is still released.
    ghost = str(ObjectId())
    await hold_by_hand(db, mug, ghost, 1)

    await sweeper(db, grace=timedelta(minutes=2)).recover()

    assert await stock_of(db, mug) == 8
    [stored] = await all_orders(db)
    assert stored["status"] == "RESERVING"
    assert [holds for _, holds in await leftover_holds(db)] == [
        {str(live["_id"]): {"quantity": 2, "atMs": at_ms}}
    ]


async def test_recovery_releases_a_stale_hold_whose_order_never_existed(db):
    mug = await add_product(db, stock=10)
    pen = await add_product(db, stock=10)
    ghost = str(ObjectId())
    await hold_by_hand(db, mug, ghost, 4)
    await hold_by_hand(db, pen, ghost, 1)
    assert await stock_of(db, mug) == 6

    await sweeper(db).recover()
    await sweeper(db).recover()

    assert await stock_of(db, mug) == 10
    assert await stock_of(db, pen) == 10
    assert await leftover_holds(db) == []


async def test_recovery_settles_a_hold_whose_order_was_placed(db, gql, customer):
    mug = await add_product(db, stock=10)
    other = await add_product(db, stock=10)
    order = placed(await place(gql, customer, [line(mug, 3)]))
    order_key = str(order_oid(order))
    # It died after opening the order, before removing its marker.
    await db.products.update_one(
        {"_id": mug["_id"]},
        {"$set": {f"holds.{order_key}": {"quantity": 3, "atMs": int(LONG_AGO.timestamp() * 1000)}}},
    )
    # Another order's stale hold on another product is handled on its own.
    ghost = str(ObjectId())
    await hold_by_hand(db, other, ghost, 2)

    await sweeper(db).recover()
    await sweeper(db).recover()

    assert await stock_of(db, mug) == 7
    assert await stock_of(db, other) == 10
    assert await leftover_holds(db) == []
    [stored] = await all_orders(db)
    assert stored["status"] == "PENDING"
    body = await gql(ORDER_QUERY, {"id": order["id"]}, headers=customer.headers)
    assert body["data"]["order"]["status"] == "PENDING", body


async def test_recovery_leaves_placed_orders_and_their_stock_alone(db, gql, customer):
    mug = await add_product(db, stock=10)
    order = placed(await place(gql, customer, [line(mug, 3)]))

    await sweeper(db).recover()

    assert await stock_of(db, mug) == 7
    [stored] = await all_orders(db)
    assert stored["_id"] == order_oid(order)
    assert stored["status"] == "PENDING"


async def test_an_expired_hold_cancels_the_order_and_returns_its_stock_once(db, gql, customer):
    mug = await add_product(db, stock=10)
    order = placed(await place(gql, customer, [line(mug, 4)]))
    kept = placed(await place(gql, customer, [line(mug, 1)]))
    await db.orders.update_one(
        {"_id": order_oid(order)},
        {"$set": {"holdExpiresAt": datetime.now(UTC) - timedelta(minutes=1)}},
    )

    assert await sweeper(db).expire_holds() == 1
    assert await sweeper(db).expire_holds() == 0
    await sweeper(db).recover()

    assert await stock_of(db, mug) == 9
    body = await gql(ORDER_QUERY, {"id": order["id"]}, headers=customer.headers)
    assert body["data"]["order"]["status"] == "CANCELLED", body
    assert body["data"]["order"]["holdExpiresAt"] is None
    body = await gql(ORDER_QUERY, {"id": kept["id"]}, headers=customer.headers)
    assert body["data"]["order"]["status"] == "PENDING", body
    assert await leftover_holds(db) == []


# --- races and failures in the middle of placing ---------------------------------------


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
    first["cartKey"] = cart_key([OrderLine(mug["_id"], 2, "input.items.0")])
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
    async with app_with(make_settings(stock_transactions=True)) as client:
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
