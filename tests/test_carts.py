"""Carts: lines in and out, today's prices and stock with problems instead of failures,
who may see and change a cart, a guest's cart claimed after login, bounds and expiry."""

import asyncio
from datetime import UTC, datetime, timedelta

from tests.cart_helpers import ADDRESS as ADDRESS_INPUT
from tests.cart_helpers import (
    ASSIGN,
    CART_CREATE,
    CART_QUERY,
    LINES_ADD,
    LINES_REMOVE,
    LINES_UPDATE,
    SET_EMAIL,
    cart_object_key,
    line_of,
    ok,
)
from tests.helpers import HOME, add_product, adjust, global_id, saved, without_messages

UPDATE_PRODUCT = """mutation Update($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { product { id } userErrors { field message code } }
}"""


async def new_cart(gql, lines, headers=None, email=None):
    variables = {"input": {"lines": lines, **({"email": email} if email else {})}}
    return ok((await gql(CART_CREATE, variables, headers=headers))["data"]["cartCreate"])


async def test_lines_of_one_variant_merge_and_the_cart_shows_todays_prices(gql, db):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    cart = await new_cart(gql, [line_of(mug, 1), line_of(mug, 2)])
    assert cart["totalQuantity"] == 3
    (line,) = cart["lines"]
    assert line["quantity"] == 3 and line["available"] is True
    assert line["unitPrice"] == {"amount": "12.50", "currency": "USD"}
    assert line["lineTotal"] == {"amount": "37.50"}
    assert cart["cost"]["subtotal"] == {"amount": "37.50"}
    assert cart["cost"]["total"] == {"amount": "37.50", "currency": "USD"}
    assert cart["expiresAt"] > cart["createdAt"]

    added = ok(
        (await gql(LINES_ADD, {"cartId": cart["id"], "lines": [line_of(mug, 1)]}))["data"][
            "cartLinesAdd"
        ]
    )
    assert [line["quantity"] for line in added["lines"]] == [4]
    updated = ok(
        (
            await gql(
                LINES_UPDATE, {"cartId": cart["id"], "lines": [{"id": line["id"], "quantity": 2}]}
            )
        )["data"]["cartLinesUpdate"]
    )
    assert updated["totalQuantity"] == 2
    removed = ok(
        (await gql(LINES_REMOVE, {"cartId": cart["id"], "lineIds": [line["id"]]}))["data"][
            "cartLinesRemove"
        ]
    )
    assert removed["lines"] == [] and removed["cost"]["subtotal"] == {"amount": "0.00"}
    stored = await db.carts.find_one({"_id": cart_object_key(cart["id"])})
    assert stored["lines"] == [] and "stock" not in str(stored)


async def test_a_cart_holds_no_stock(gql, db):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=3)
    await new_cart(gql, [line_of(mug, 3)])
    assert (await db.products.find_one({"_id": mug["_id"]}))["stock"] == 3


async def test_changes_under_a_cart_show_as_problems_not_failures(gql, as_admin, db):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    tea = await add_product(db, sku="TEA", name="Tea", price=400, stock=10)
    jar = await add_product(db, sku="JAR", name="Jar", price=300, stock=10)
    cart = await new_cart(gql, [line_of(mug, 5), line_of(tea, 1), line_of(jar, 1)])
    assert cart["problems"] == []

    await adjust(as_admin, mug, -7)  # 3 left of 5 wanted
    await adjust(as_admin, tea, -10)  # none left
    data = await as_admin(
        UPDATE_PRODUCT, {"id": global_id("Product", jar["_id"]), "input": {"price": "3.50"}}
    )
    assert data["updateProduct"]["userErrors"] == []

    seen = (await gql(CART_QUERY, {"id": cart["id"]}))["data"]["cart"]
    mug_line, tea_line, jar_line = seen["lines"]
    assert [(p["lineId"], p["code"]) for p in seen["problems"]] == [
        (mug_line["id"], "INSUFFICIENT_STOCK"),
        (tea_line["id"], "OUT_OF_STOCK"),
        (jar_line["id"], "PRICE_CHANGED"),
    ]
    assert all(problem["message"] for problem in seen["problems"])
    assert (mug_line["available"], tea_line["available"], jar_line["available"]) == (
        False,
        False,
        True,
    )
    assert jar_line["unitPrice"]["amount"] == "3.50"  # today's price, always

    await as_admin(
        UPDATE_PRODUCT, {"id": global_id("Product", jar["_id"]), "input": {"active": False}}
    )
    seen = (await gql(CART_QUERY, {"id": cart["id"]}))["data"]["cart"]
    jar_line = seen["lines"][2]
    assert jar_line["variant"] is None and jar_line["product"] is None
    assert "UNAVAILABLE" in [p["code"] for p in seen["problems"] if p["lineId"] == jar_line["id"]]
    assert seen["cost"]["subtotal"] == {"amount": "66.50"}  # 5 x 12.50 + 1 x 4.00

    # Touching the line says the shopper saw the new price.
    await as_admin(
        UPDATE_PRODUCT, {"id": global_id("Product", jar["_id"]), "input": {"active": True}}
    )
    updated = await gql(
        LINES_UPDATE, {"cartId": cart["id"], "lines": [{"id": jar_line["id"], "quantity": 2}]}
    )
    codes = [p["code"] for p in ok(updated["data"]["cartLinesUpdate"])["problems"]]
    assert "PRICE_CHANGED" not in codes


async def test_bad_lines_are_refused_with_the_field_and_change_nothing(gql, db):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    cart = await new_cart(gql, [line_of(mug, 1)])
    bad = [
        line_of(mug, 0),
        {"productId": global_id("Product", "0" * 24), "quantity": 1},
        {"quantity": 1},
        {"variantId": "not-an-id", "quantity": 1},
    ]
    payload = (await gql(LINES_ADD, {"cartId": cart["id"], "lines": bad}))["data"]["cartLinesAdd"]
    assert payload["cart"] is None
    assert without_messages(payload["userErrors"]) == [
        {"field": ["lines", "0", "quantity"], "code": "INVALID"},
        {"field": ["lines", "2", "variantId"], "code": "INVALID"},
        {"field": ["lines", "3", "variantId"], "code": "INVALID"},
    ]
    unknown = (await gql(LINES_ADD, {"cartId": cart["id"], "lines": [bad[1]]}))["data"][
        "cartLinesAdd"
    ]
    assert without_messages(unknown["userErrors"]) == [
        {"field": ["lines", "0", "productId"], "code": "NOT_FOUND"}
    ]
    too_many = (await gql(LINES_ADD, {"cartId": cart["id"], "lines": [line_of(mug, 100)]}))["data"][
        "cartLinesAdd"
    ]
    assert [e["code"] for e in too_many["userErrors"]] == ["INVALID"]
    stored = await db.carts.find_one({"_id": cart_object_key(cart["id"])})
    assert [line["quantity"] for line in stored["lines"]] == [1]


async def test_a_cart_has_at_most_fifty_lines(gql, db):
    products = [
        await add_product(db, sku=f"P-{n}", name=f"P {n}", price=100, stock=5) for n in range(51)
    ]
    cart = await new_cart(gql, [line_of(product, 1) for product in products[:50]])
    payload = (await gql(LINES_ADD, {"cartId": cart["id"], "lines": [line_of(products[50], 1)]}))[
        "data"
    ]["cartLinesAdd"]
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID"]
    assert len((await db.carts.find_one({"_id": cart_object_key(cart["id"])}))["lines"]) == 50


async def test_racing_adds_to_one_cart_all_count(gql, db):
    products = [
        await add_product(db, sku=f"P-{n}", name=f"P {n}", price=100, stock=5) for n in range(10)
    ]
    cart = await new_cart(gql, [])
    answers = await asyncio.gather(
        *(
            gql(LINES_ADD, {"cartId": cart["id"], "lines": [line_of(product, 1)]})
            for product in products
        )
    )
    assert all(answer["data"]["cartLinesAdd"]["userErrors"] == [] for answer in answers)
    stored = await db.carts.find_one({"_id": cart_object_key(cart["id"])})
    assert sorted(line["productId"] for line in stored["lines"]) == sorted(
        p["_id"] for p in products
    )


async def test_a_customers_cart_is_theirs_alone(gql, db, customer, other_customer, admin):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    cart = await new_cart(gql, [line_of(mug, 1)], customer.headers)
    for headers in (other_customer.headers, None):
        read = await gql(CART_QUERY, {"id": cart["id"]}, headers=headers)
        assert read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        node = await gql(
            "query N($id: ID!) { node(id: $id) { id } }", {"id": cart["id"]}, headers=headers
        )
        assert node["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        add = await gql(
            LINES_ADD, {"cartId": cart["id"], "lines": [line_of(mug, 1)]}, headers=headers
        )
        assert add["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stored = await db.carts.find_one({"_id": cart_object_key(cart["id"])})
    assert [line["quantity"] for line in stored["lines"]] == [1]
    mine = await gql(CART_QUERY, {"id": cart["id"]}, headers=customer.headers)
    assert mine["data"]["cart"]["id"] == cart["id"]
    me = await gql("{ me { cart { id totalQuantity } } }", headers=customer.headers)
    assert me["data"]["me"]["cart"] == {"id": cart["id"], "totalQuantity": 1}
    # Admins may look (for support), not change.
    assert (await gql(CART_QUERY, {"id": cart["id"]}, headers=admin.headers))["data"]["cart"][
        "id"
    ] == cart["id"]


async def test_a_made_up_cart_id_finds_nothing(gql, db):
    made_up = global_id("Cart", "A" * 24)
    assert (await gql(CART_QUERY, {"id": made_up}))["data"]["cart"] is None
    payload = (await gql(SET_EMAIL, {"cartId": made_up, "email": "a@b.co"}))["data"]["cartSetEmail"]
    assert without_messages(payload["userErrors"]) == [{"field": ["cartId"], "code": "NOT_FOUND"}]
    wrong_type = await gql(CART_QUERY, {"id": global_id("Product", "0" * 24)})
    assert wrong_type["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_cart_ids_are_long_and_random(gql, db):
    carts = [await new_cart(gql, []) for _ in range(5)]
    keys = [cart_object_key(cart["id"]) for cart in carts]
    assert len(set(keys)) == 5
    assert all(len(key) >= 22 for key in keys)  # 144 bits in URL-safe base64


async def test_a_guest_cart_left_before_login_merges_into_the_customers_cart(gql, db, customer):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    tea = await add_product(db, sku="TEA", name="Tea", price=400, stock=10)
    mine = await new_cart(gql, [line_of(mug, 1)], customer.headers)
    guest = await new_cart(gql, [line_of(mug, 2), line_of(tea, 1)], email="me@example.com")

    payloads = await asyncio.gather(
        *(gql(ASSIGN, {"cartId": guest["id"]}, headers=customer.headers) for _ in range(3))
    )
    for payload in payloads:
        assert ok(payload["data"]["cartAssignToMe"])["id"] == mine["id"]
    merged = (await gql(CART_QUERY, {"id": mine["id"]}, headers=customer.headers))["data"]["cart"]
    assert [(line["product"]["name"], line["quantity"]) for line in merged["lines"]] == [
        ("Mug", 3),
        ("Tea", 1),
    ]
    assert merged["email"] == "me@example.com"
    # The guest's cart is now the customer's, and read-only.
    leftover = await gql(
        LINES_ADD, {"cartId": guest["id"], "lines": [line_of(tea, 1)]}, headers=customer.headers
    )
    assert [e["code"] for e in leftover["data"]["cartLinesAdd"]["userErrors"]] == ["CART_COMPLETED"]
    anonymous = await gql(CART_QUERY, {"id": guest["id"]})
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_guest_cart_becomes_the_customers_when_they_have_none(
    gql, db, customer, other_customer
):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    guest = await new_cart(gql, [line_of(mug, 2)])
    assigned = ok(
        (await gql(ASSIGN, {"cartId": guest["id"]}, headers=customer.headers))["data"][
            "cartAssignToMe"
        ]
    )
    assert assigned["id"] == guest["id"]
    me = await gql("{ me { cart { id } } }", headers=customer.headers)
    assert me["data"]["me"]["cart"] == {"id": guest["id"]}
    taken = await gql(ASSIGN, {"cartId": guest["id"]}, headers=other_customer.headers)
    assert taken["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await gql(ASSIGN, {"cartId": guest["id"]})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_customer_has_one_open_cart(gql, db, customer):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    carts = await asyncio.gather(
        *(new_cart(gql, [line_of(mug, 1)], customer.headers) for _ in range(5))
    )
    assert len({cart["id"] for cart in carts}) == 1
    (stored,) = await db.carts.find({}).to_list()
    assert [line["quantity"] for line in stored["lines"]] == [5]


async def test_an_expired_cart_is_gone(gql, db):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    cart = await new_cart(gql, [line_of(mug, 1)])
    key = cart_object_key(cart["id"])
    stored = await db.carts.find_one({"_id": key})
    expired = {**stored, "expiresAt": datetime.now(UTC) - timedelta(minutes=1)}
    await db.carts.replace_one({"_id": key}, expired)  # $set would store a string here
    assert (await gql(CART_QUERY, {"id": cart["id"]}))["data"]["cart"] is None
    payload = (await gql(LINES_ADD, {"cartId": cart["id"], "lines": [line_of(mug, 1)]}))["data"][
        "cartLinesAdd"
    ]
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    indexes = await (await db.carts.list_indexes()).to_list()
    index = next(i for i in indexes if list(i["key"]) == ["expiresAt"])
    assert index["expireAfterSeconds"] == 0


async def test_every_change_moves_the_expiry_on(gql, db, make_settings):
    mug = await add_product(db, sku="MUG", name="Mug", price=1250, stock=10)
    cart = await new_cart(gql, [line_of(mug, 1)])
    days = make_settings().cart_days
    created = datetime.fromisoformat(cart["createdAt"])
    assert datetime.fromisoformat(cart["expiresAt"]) - created == timedelta(days=days)
    key = cart_object_key(cart["id"])
    stored = await db.carts.find_one({"_id": key})
    await db.carts.replace_one({"_id": key}, {**stored, "expiresAt": created + timedelta(days=1)})
    changed = ok(
        (await gql(SET_EMAIL, {"cartId": cart["id"], "email": " Me@Example.COM "}))["data"][
            "cartSetEmail"
        ]
    )
    assert changed["email"] == "me@example.com"
    assert datetime.fromisoformat(changed["expiresAt"]) > created + timedelta(days=days - 1)


async def test_a_bad_email_is_refused(gql, db):
    cart = await new_cart(gql, [])
    payload = (await gql(SET_EMAIL, {"cartId": cart["id"], "email": "not an email"}))["data"][
        "cartSetEmail"
    ]
    assert without_messages(payload["userErrors"]) == [{"field": ["email"], "code": "INVALID"}]


SHIP_TO = """mutation Ship($cartId: ID!, $address: AddressInput, $saved: ID) {
  cartSetShippingAddress(cartId: $cartId, address: $address, savedAddressId: $saved) {
    cart { shippingAddress { firstName city country } } userErrors { field message code }
  }
}"""


async def test_a_bad_address_is_refused_field_by_field_and_the_cart_keeps_its_own(gql, db):
    cart = await new_cart(gql, [])
    good = {**ADDRESS_INPUT, "country": "de"}
    kept = ok(
        (await gql(SHIP_TO, {"cartId": cart["id"], "address": good}))["data"][
            "cartSetShippingAddress"
        ]
    )
    assert kept["shippingAddress"]["country"] == "DE"
    bad = {**ADDRESS_INPUT, "country": "XX", "city": "", "postalCode": "x" * 21}
    payload = (await gql(SHIP_TO, {"cartId": cart["id"], "address": bad}))["data"][
        "cartSetShippingAddress"
    ]
    assert payload["cart"] is None
    assert sorted(map(tuple, (error["field"] for error in payload["userErrors"]))) == [
        ("address", "city"),
        ("address", "country"),
        ("address", "postalCode"),
    ]
    stored = await db.carts.find_one({"_id": cart_object_key(cart["id"])})
    assert stored["shippingAddress"]["country"] == "DE"
    neither = (await gql(SHIP_TO, {"cartId": cart["id"]}))["data"]["cartSetShippingAddress"]
    assert [error["code"] for error in neither["userErrors"]] == ["INVALID"]


async def test_a_customer_fills_the_cart_from_their_address_book(gql, db, customer, other_customer):
    entry = await saved(gql, customer, HOME)
    cart = await new_cart(gql, [], customer.headers)
    filled = await gql(
        SHIP_TO, {"cartId": cart["id"], "saved": entry["id"]}, headers=customer.headers
    )
    assert ok(filled["data"]["cartSetShippingAddress"])["shippingAddress"]["city"] == HOME["city"]
    theirs = await new_cart(gql, [], other_customer.headers)
    stolen = await gql(
        SHIP_TO, {"cartId": theirs["id"], "saved": entry["id"]}, headers=other_customer.headers
    )
    assert [e["code"] for e in stolen["data"]["cartSetShippingAddress"]["userErrors"]] == [
        "NOT_FOUND"
    ]
