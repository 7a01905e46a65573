"""A discount code's usage limit under racing checkouts, and a cancelled order's use given
back exactly once."""

import asyncio
import base64
from datetime import UTC, datetime

from bson import ObjectId

from tests.cart_helpers import (
    ADDRESS,
    CHECKOUT,
    CREATE_CODE,
    object_id_in,
    ready_cart,
    store_for_checkout,
)
from tests.helpers import sweeper

CANCEL = """mutation Cancel($id: ID!, $orderToken: String) {
  cancelOrder(id: $id, token: $orderToken) { order { id status } userErrors { field message code } }
}"""
CODE_QUERY = """query Codes { discountCodes(first: 10) { edges { node { code timesUsed } } } }"""


async def guest_carts(db, store, count: int, code: str) -> list[str]:
    """`count` guest carts ready for checkout, stored as the API stores them: each with
    one shirt, an email, the address, the shipping method and `code`."""
    now = datetime.now(UTC)
    carts = []
    for n in range(count):
        key = f"race-cart-{n:04d}-{'x' * 20}"
        carts.append(
            {
                "_id": key,
                "version": 0,
                "status": "OPEN",
                "lines": [
                    {
                        "_id": ObjectId(),
                        "productId": store["shirt"]["_id"],
                        "variantId": store["shirt"]["_id"],
                        "quantity": 1,
                        "seenPrice": store["shirt"]["price"],
                    }
                ],
                "email": f"guest{n}@example.com",
                "shippingAddress": ADDRESS,
                "shippingMethodId": object_id_in(store["method_id"]),
                "discountCode": code,
                "createdAt": now,
                "updatedAt": now,
                "expiresAt": now.replace(year=now.year + 1),
            }
        )
    await db.carts.insert_many(carts)
    return [global_cart_id(cart["_id"]) for cart in carts]


def global_cart_id(key: str) -> str:
    return base64.b64encode(f"Cart:{key}".encode()).decode()


async def test_200_checkouts_of_a_code_limited_to_10_complete_10_with_it(gql, as_admin, db):
    store = await store_for_checkout(as_admin, db)
    created = await as_admin(
        CREATE_CODE,
        {"input": {"code": "FEW", "kind": "PERCENTAGE", "value": "50", "usageLimit": 10}},
    )
    assert created["createDiscountCode"]["userErrors"] == []
    cart_ids = await guest_carts(db, store, 200, "FEW")

    answers = await asyncio.gather(*(gql(CHECKOUT, {"cartId": cart_id}) for cart_id in cart_ids))

    payloads = [answer["data"]["checkoutComplete"] for answer in answers]
    placed = [payload["order"] for payload in payloads if payload["order"] is not None]
    refused = [payload["userErrors"] for payload in payloads if payload["order"] is None]
    assert len(placed) == 10
    assert all(
        order["discounts"] == [{"code": "FEW", "amount": {"amount": "10.00"}}] for order in placed
    )
    assert [errors[0]["code"] for errors in refused] == ["DISCOUNT_CODE_EXHAUSTED"] * 190
    # The refused kept no stock and no order; the code counts exactly 10 uses.
    assert await db.orders.count_documents({}) == 10
    assert (await db.products.find_one({"_id": store["shirt"]["_id"]}))["stock"] == 40
    assert await db.discount_uses.count_documents({}) == 10
    codes = await as_admin(CODE_QUERY)
    assert {"code": "FEW", "timesUsed": 10} in [
        edge["node"] for edge in codes["discountCodes"]["edges"]
    ]
    # Refused carts stay open, to be checked out without the code.
    assert await db.carts.count_documents({"status": "OPEN"}) == 190


async def test_a_cancelled_order_gives_its_use_back_exactly_once(gql, as_admin, db):
    store = await store_for_checkout(as_admin, db)
    await as_admin(
        CREATE_CODE,
        {"input": {"code": "ONCE", "kind": "FIXED_AMOUNT", "value": "1.00", "usageLimit": 1}},
    )
    first = await ready_cart(gql, store, code="ONCE")
    order = (await gql(CHECKOUT, {"cartId": first["id"]}))["data"]["checkoutComplete"]["order"]
    assert order["discounts"] == [{"code": "ONCE", "amount": {"amount": "1.00"}}]
    second = await ready_cart(gql, store, code=None)
    refused = await gql(
        'mutation C($cartId: ID!) { cartApplyDiscountCode(cartId: $cartId, code: "once") '
        "{ userErrors { code } } }",
        {"cartId": second["id"]},
    )
    assert refused["data"]["cartApplyDiscountCode"]["userErrors"] == [
        {"code": "DISCOUNT_CODE_EXHAUSTED"}
    ]

    # Racing cancels (and a sweep) of the order: one use comes back.
    cancels = [gql(CANCEL, {"id": order["id"], "orderToken": order["token"]}) for _ in range(5)]
    await asyncio.gather(*cancels, sweeper(db).sweep())
    assert await db.discount_uses.count_documents({}) == 0
    order_doc = await db.orders.find_one({"_id": object_id_in(order["id"])})
    assert order_doc["status"] == "CANCELLED"

    applied = await gql(
        'mutation C($cartId: ID!) { cartApplyDiscountCode(cartId: $cartId, code: "once") '
        "{ userErrors { code } } }",
        {"cartId": second["id"]},
    )
    assert applied["data"]["cartApplyDiscountCode"]["userErrors"] == []
    again = (await gql(CHECKOUT, {"cartId": second["id"]}))["data"]["checkoutComplete"]
    assert again["userErrors"] == [] and again["order"]["discounts"][0]["code"] == "ONCE"
    assert await db.discount_uses.count_documents({}) == 1
