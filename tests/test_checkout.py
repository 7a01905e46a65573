"""Checking a cart out, from an empty cart to a paid order and its email: a guest's and a
customer's, the issue's totals, what a cart must have first, retries and declines."""

import asyncio

from tests.cart_helpers import (
    ADDRESS,
    APPLY_CODE,
    CART_CREATE,
    CART_QUERY,
    CHECKOUT,
    LINES_ADD,
    ORDER_BY_TOKEN,
    SELECT_SHIPPING,
    SET_BILLING_ADDRESS,
    SET_EMAIL,
    SET_SHIPPING_ADDRESS,
    amounts,
    line_of,
    object_id_in,
    ok,
    ready_cart,
    store_for_checkout,
)
from tests.helpers import add_product, adjust, poll, without_messages

PAY = """mutation Pay($id: ID!, $token: String!, $orderToken: String) {
  payOrder(id: $id, payment: {token: $token}, token: $orderToken) {
    order { id status } userErrors { field message code }
  }
}"""
CANCEL = """mutation Cancel($id: ID!, $orderToken: String) {
  cancelOrder(id: $id, token: $orderToken) { order { id status } userErrors { field message code } }
}"""
ISSUE_TOTALS = {
    "subtotal": "44.98",
    "discount": "4.50",
    "shipping": "4.90",
    "tax": "3.74",
    "total": "49.12",
}


async def test_a_guest_goes_from_an_empty_cart_to_a_paid_order_and_its_email(gql, as_admin, db):
    store = await store_for_checkout(as_admin, db)
    created = ok((await gql(CART_CREATE, {}))["data"]["cartCreate"])
    assert created["lines"] == [] and created["totalQuantity"] == 0
    cart_id = created["id"]
    steps = [
        (LINES_ADD, {"lines": [line_of(store["shirt"], 2), line_of(store["socks"], 1)]}),
        (SET_EMAIL, {"email": "ada@example.com"}),
        (SET_SHIPPING_ADDRESS, {"address": ADDRESS}),
        (SET_BILLING_ADDRESS, {"address": {**ADDRESS, "firstName": "Charles", "country": "GB"}}),
    ]
    for operation, variables in steps:
        cart = ok(
            next(iter((await gql(operation, {"cartId": cart_id, **variables}))["data"].values()))
        )
    assert [method["name"] for method in cart["availableShippingMethods"]] == ["Standard"]
    cart = ok(
        (await gql(SELECT_SHIPPING, {"cartId": cart_id, "id": store["method_id"]}))["data"][
            "cartSelectShippingMethod"
        ]
    )
    cart = ok(
        (await gql(APPLY_CODE, {"cartId": cart_id, "code": "ten"}))["data"]["cartApplyDiscountCode"]
    )
    assert cart["discountCodes"] == ["TEN"]
    assert amounts(cart["cost"]) == ISSUE_TOTALS
    assert cart["problems"] == []

    body = await gql(CHECKOUT, {"cartId": cart_id, "payment": {"token": "tok_visa"}, "key": "k1"})
    payload = body["data"]["checkoutComplete"]
    assert payload["userErrors"] == [], payload
    order = payload["order"]
    assert order["status"] == "PAID"
    assert order["email"] == "ada@example.com"
    assert order["user"] is None
    assert order["token"]
    assert {
        name: order[f"{name}Total" if name in ("shipping", "tax", "discount") else name]["amount"]
        for name in ISSUE_TOTALS
    } == ISSUE_TOTALS
    assert order["shippingMethod"] == {"name": "Standard", "price": {"amount": "4.90"}}
    assert order["discounts"] == [{"code": "TEN", "amount": {"amount": "4.50"}}]
    assert order["shippingAddress"]["country"] == "US"
    assert order["billingAddress"] == {"firstName": "Charles", "country": "GB"}

    # The cart is done; the guest sees the order by its token, and nobody else's token.
    after = (await gql(CART_QUERY, {"id": cart_id}))["data"]["cart"]
    assert after["completed"] is True
    again = await gql(LINES_ADD, {"cartId": cart_id, "lines": [line_of(store["socks"], 1)]})
    assert without_messages(again["data"]["cartLinesAdd"]["userErrors"]) == [
        {"field": ["cartId"], "code": "CART_COMPLETED"}
    ]
    by_token = (await gql(ORDER_BY_TOKEN, {"token": order["token"]}))["data"]["orderByToken"]
    assert by_token["id"] == order["id"] and by_token["token"] is None
    assert (await gql(ORDER_BY_TOKEN, {"token": "made-up"}))["data"]["orderByToken"] is None

    stored = await db.orders.find_one({"_id": object_id_in(order["id"])})
    assert "token" not in stored and stored["tokenHash"] != order["token"]
    assert (await db.products.find_one({"_id": store["shirt"]["_id"]}))["stock"] == 48
    message_id = f"order-confirmation:{stored['_id']}"
    assert await poll(lambda: db.outbox.find_one({"_id": message_id}))
    email = await db.outbox.find_one({"_id": message_id})
    assert email["to"] == "ada@example.com"
    for text in (
        "2 x Shirt (SHIRT-1) at 19.99 USD = 39.98 USD",
        "Subtotal: 44.98 USD",
        "Discount (TEN): -4.50 USD",
        "Shipping (Standard): 4.90 USD",
        "Tax: 3.74 USD",
        "Total: 49.12 USD",
        "12 St James's Square",
        "Springfield",
        "Charles",
        "United Kingdom",
    ):
        assert text in email["text"], (text, email["text"])
    assert "St James&#x27;s Square" in email["html"]


async def test_a_customer_checks_out_their_cart_and_the_order_is_theirs(
    gql, as_admin, db, customer
):
    store = await store_for_checkout(as_admin, db)
    cart = await ready_cart(gql, store, customer.headers)
    body = await gql(
        CHECKOUT, {"cartId": cart["id"], "payment": {"token": "tok_visa"}}, headers=customer.headers
    )
    order = body["data"]["checkoutComplete"]["order"]
    assert body["data"]["checkoutComplete"]["userErrors"] == []
    assert order["status"] == "PAID"
    assert order["user"] == {"id": customer.global_id}
    assert order["token"] is None
    assert order["total"] == {"amount": "49.12", "currency": "USD"}
    mine = await gql(
        "{ orders { edges { node { id total { amount } } } } }", headers=customer.headers
    )
    assert mine["data"]["orders"]["edges"] == [
        {"node": {"id": order["id"], "total": {"amount": "49.12"}}}
    ]
    # Their next cart is a new one.
    me = await gql("{ me { cart { id } } }", headers=customer.headers)
    assert me["data"]["me"]["cart"] is None


async def test_checkout_names_everything_the_cart_still_lacks(gql, as_admin, db):
    await store_for_checkout(as_admin, db)
    cart = ok((await gql(CART_CREATE, {}))["data"]["cartCreate"])
    payload = (await gql(CHECKOUT, {"cartId": cart["id"]}))["data"]["checkoutComplete"]
    assert payload["order"] is None
    assert sorted(error["code"] for error in payload["userErrors"]) == [
        "CART_EMPTY",
        "EMAIL_REQUIRED",
        "SHIPPING_ADDRESS_REQUIRED",
    ]
    assert await db.orders.count_documents({}) == 0


async def test_checkout_without_a_shipping_method_is_refused(gql, as_admin, db):
    store = await store_for_checkout(as_admin, db)
    lines = [line_of(store["socks"], 1)]
    cart = ok(
        (await gql(CART_CREATE, {"input": {"lines": lines, "email": "a@b.co"}}))["data"][
            "cartCreate"
        ]
    )
    ok(
        (await gql(SET_SHIPPING_ADDRESS, {"cartId": cart["id"], "address": ADDRESS}))["data"][
            "cartSetShippingAddress"
        ]
    )
    payload = (await gql(CHECKOUT, {"cartId": cart["id"]}))["data"]["checkoutComplete"]
    assert [error["code"] for error in payload["userErrors"]] == ["SHIPPING_METHOD_REQUIRED"]


async def test_a_declined_payment_leaves_the_order_pending_and_payable_with_its_token(
    gql, as_admin, db
):
    store = await store_for_checkout(as_admin, db)
    cart = await ready_cart(gql, store)
    body = await gql(CHECKOUT, {"cartId": cart["id"], "payment": {"token": "tok_chargeDeclined"}})
    payload = body["data"]["checkoutComplete"]
    order = payload["order"]
    assert order["status"] == "PENDING"
    assert [error["code"] for error in payload["userErrors"]] == ["PAYMENT_DECLINED"]
    assert (await db.products.find_one({"_id": store["shirt"]["_id"]}))["stock"] == 48  # held

    stranger = await gql(PAY, {"id": order["id"], "token": "tok_visa", "orderToken": "wrong"})
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(PAY, {"id": order["id"], "token": "tok_visa"})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    paid = await gql(PAY, {"id": order["id"], "token": "tok_visa", "orderToken": order["token"]})
    assert paid["data"]["payOrder"]["order"]["status"] == "PAID"


async def test_a_guest_cancels_with_their_token_and_the_stock_comes_back(gql, as_admin, db):
    store = await store_for_checkout(as_admin, db)
    cart = await ready_cart(gql, store)
    order = (await gql(CHECKOUT, {"cartId": cart["id"]}))["data"]["checkoutComplete"]["order"]
    assert order["status"] == "PENDING"
    cancelled = await gql(CANCEL, {"id": order["id"], "orderToken": order["token"]})
    assert cancelled["data"]["cancelOrder"]["order"]["status"] == "CANCELLED"
    assert (await db.products.find_one({"_id": store["shirt"]["_id"]}))["stock"] == 50


async def test_a_retry_with_the_same_key_returns_the_same_order_and_another_is_refused(
    gql, as_admin, db
):
    store = await store_for_checkout(as_admin, db)
    cart = await ready_cart(gql, store)
    variables = {"cartId": cart["id"], "payment": {"token": "tok_visa"}, "key": "same"}
    first, second = await asyncio.gather(gql(CHECKOUT, variables), gql(CHECKOUT, variables))
    one = first["data"]["checkoutComplete"]["order"]
    two = second["data"]["checkoutComplete"]["order"]
    assert one["id"] == two["id"] and one["token"] == two["token"]
    assert await db.orders.count_documents({}) == 1
    assert (await db.products.find_one({"_id": store["shirt"]["_id"]}))["stock"] == 48
    other = await gql(CHECKOUT, {"cartId": cart["id"], "key": "other"})
    assert [e["code"] for e in other["data"]["checkoutComplete"]["userErrors"]] == [
        "CART_COMPLETED"
    ]


async def test_checkout_is_refused_while_a_line_is_short_and_takes_nothing(gql, as_admin, db):
    store = await store_for_checkout(as_admin, db)
    cart = await ready_cart(gql, store)
    await adjust(as_admin, store["shirt"], -49)  # 1 left, the cart has 2
    payload = (await gql(CHECKOUT, {"cartId": cart["id"]}))["data"]["checkoutComplete"]
    assert [error["code"] for error in payload["userErrors"]] == ["OUT_OF_STOCK"]
    assert await db.orders.count_documents({}) == 0
    assert await db.discount_uses.count_documents({}) == 0
    assert (await db.products.find_one({"_id": store["socks"]["_id"]}))["stock"] == 50


async def test_another_customers_cart_cannot_be_checked_out(
    gql, as_admin, db, customer, other_customer
):
    store = await store_for_checkout(as_admin, db)
    cart = await ready_cart(gql, store, customer.headers)
    body = await gql(CHECKOUT, {"cartId": cart["id"]}, headers=other_customer.headers)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(CHECKOUT, {"cartId": cart["id"]})
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await db.orders.count_documents({}) == 0


FULL_CART = """query Cart($id: ID!) { cart(id: $id) {
  lines { id quantity available unitPrice { amount } variant { id sku stock } product { name } }
  availableShippingMethods { id name } shippingMethod { name } discountCodes
  cost { subtotal { amount } shipping { amount } tax { amount } discount { amount }
         total { amount } }
  problems { lineId code }
} }"""


async def test_reading_a_cart_takes_as_many_queries_for_20_lines_as_for_1(
    gql, as_admin, db, command_log
):
    store = await store_for_checkout(as_admin, db)
    products = [
        await add_product(db, sku=f"P-{n}", name=f"P {n}", price=100, stock=5) for n in range(20)
    ]
    queries = {}
    for count in (1, 20):
        lines = [line_of(product, 1) for product in products[:count]]
        cart = await ready_cart(gql, store)
        body = await gql(LINES_ADD, {"cartId": cart["id"], "lines": lines})
        assert body["data"]["cartLinesAdd"]["userErrors"] == []
        command_log.clear()
        read = await gql(FULL_CART, {"id": cart["id"]})
        assert len(read["data"]["cart"]["lines"]) == count + 2
        queries[count] = sorted(
            (event.command_name, event.command.get(event.command_name))
            for event in command_log.commands
        )
    assert queries[1] == queries[20]
    assert len(queries[20]) <= 8, queries[20]
