"""Who may read, list, cancel, pay and move an order; what a missing one looks like."""

import pytest
from bson import ObjectId

from tests.factories import global_id
from tests.helpers import (
    CANCEL,
    ORDER,
    ORDERS,
    PAY,
    UPDATE_STATUS,
    add_products,
    order_document,
    order_in,
    stock_of,
    succeeded,
    user_error_code,
)
from tests.helpers import assert_refused as refused
from tests.helpers import place_pending as place

NODE = "query Node($id: ID!) { node(id: $id) { __typename ... on Order { id number status } } }"
ACTORS = ("anonymous", "owner", "other", "admin")


def headers_of(actor: str, customer, other_customer, admin) -> dict[str, str]:
    return {
        "anonymous": {},
        "owner": customer.headers,
        "other": other_customer.headers,
        "admin": admin.headers,
    }[actor]


@pytest.mark.parametrize("actor", ACTORS)
async def test_who_may_read_an_order(db, gql, customer, other_customer, admin, actor):
    [product] = await add_products(db)
    order = await place(gql, customer, (product, 1))
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(ORDER, {"id": order["id"]}, headers=headers)
    node = await gql(NODE, {"id": order["id"]}, headers=headers)

    if actor in ("owner", "admin"):
        assert "errors" not in body, body
        assert body["data"]["order"]["id"] == order["id"]
        assert body["data"]["order"]["user"]["id"] == customer.global_id
        assert node["data"]["node"] == {
            "__typename": "Order",
            "id": order["id"],
            "number": order["number"],
            "status": "PENDING",
        }
    else:
        code = "UNAUTHENTICATED" if actor == "anonymous" else "FORBIDDEN"
        refused(body, "order", code, {"order": None})
        assert node == {"data": {"node": None}}


@pytest.mark.parametrize("actor", ACTORS)
async def test_who_sees_which_orders_in_the_listing(
    db, gql, customer, other_customer, admin, actor
):
    [product] = await add_products(db)
    mine = await place(gql, customer, (product, 1))
    theirs = await place(gql, other_customer, (product, 1))
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(ORDERS, {}, headers=headers)

    if actor == "anonymous":
        refused(body, "orders", "UNAUTHENTICATED")
        return
    expected = {"owner": [mine], "other": [theirs], "admin": [theirs, mine]}[actor]
    listing = body["data"]["orders"]
    assert [edge["node"]["id"] for edge in listing["edges"]] == [o["id"] for o in expected]
    assert listing["totalCount"] == len(expected)


@pytest.mark.parametrize("actor", ACTORS)
async def test_who_may_cancel_an_order(db, gql, customer, other_customer, admin, actor):
    [product] = await add_products(db)
    order = await place(gql, customer, (product, 2))
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(CANCEL, {"id": order["id"]}, headers=headers)

    document = await order_document(db, order)
    if actor in ("owner", "admin"):
        succeeded(body, "cancelOrder", "CANCELLED")
        assert document["status"] == "CANCELLED"
        assert await stock_of(db, product) == 10
    else:
        refused(body, "cancelOrder", "UNAUTHENTICATED" if actor == "anonymous" else "FORBIDDEN")
        assert document["status"] == "PENDING"
        assert await stock_of(db, product) == 8


@pytest.mark.parametrize("actor", ACTORS)
async def test_only_the_owner_may_pay_an_order(db, gql, customer, other_customer, admin, actor):
    [product] = await add_products(db)
    order = await place(gql, customer, (product, 2))
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=headers)

    document = await order_document(db, order)
    if actor == "owner":
        succeeded(body, "payOrder", "PAID")
        assert document["status"] == "PAID"
        assert len(await db.outbox.find({}).to_list()) == 1
    else:
        refused(body, "payOrder", "UNAUTHENTICATED" if actor == "anonymous" else "FORBIDDEN")
        assert document["status"] == "PENDING"
        assert "payment" not in document
        assert await db.outbox.find({}).to_list() == []


@pytest.mark.parametrize("actor", ACTORS)
async def test_only_admins_may_update_an_order_status(
    db, gql, customer, other_customer, admin, actor
):
    [product] = await add_products(db)
    order = await order_in(gql, customer, admin, "PAID", product)
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(UPDATE_STATUS, {"id": order["id"], "status": "SHIPPED"}, headers=headers)

    document = await order_document(db, order)
    if actor == "admin":
        succeeded(body, "updateOrderStatus", "SHIPPED")
        assert document["status"] == "SHIPPED"
    else:
        code = "UNAUTHENTICATED" if actor == "anonymous" else "FORBIDDEN"
        refused(body, "updateOrderStatus", code)
        assert document["status"] == "PAID"


async def test_a_missing_order_looks_like_someone_elses_to_a_customer(
    db, gql, customer, other_customer
):
    [product] = await add_products(db)
    theirs = await place(gql, other_customer, (product, 2))
    missing = global_id("Order", ObjectId())
    operations = [
        ("order", ORDER, {}, {"order": None}),
        ("cancelOrder", CANCEL, {}, None),
        ("payOrder", PAY, {"token": "tok_visa"}, None),
    ]

    for field, query, extra, data in operations:
        for_theirs = await gql(query, {"id": theirs["id"], **extra}, headers=customer.headers)
        for_missing = await gql(query, {"id": missing, **extra}, headers=customer.headers)
        message = refused(for_theirs, field, "FORBIDDEN", data)
        assert refused(for_missing, field, "FORBIDDEN", data) == message
        assert for_theirs == for_missing

    node_of_theirs = await gql(NODE, {"id": theirs["id"]}, headers=customer.headers)
    node_of_missing = await gql(NODE, {"id": missing}, headers=customer.headers)
    assert node_of_theirs == node_of_missing == {"data": {"node": None}}
    listing = await gql(ORDERS, {}, headers=customer.headers)
    assert listing["data"]["orders"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }
    document = await order_document(db, theirs)
    assert document["status"] == "PENDING" and "payment" not in document
    assert await stock_of(db, product) == 8


async def test_admins_are_told_a_missing_order_is_missing(db, gql, admin):
    missing = global_id("Order", ObjectId())

    assert await gql(ORDER, {"id": missing}, headers=admin.headers) == {"data": {"order": None}}
    assert await gql(NODE, {"id": missing}, headers=admin.headers) == {"data": {"node": None}}
    cancel = await gql(CANCEL, {"id": missing}, headers=admin.headers)
    assert user_error_code(cancel, "cancelOrder") == "NOT_FOUND"
    move_it = await gql(UPDATE_STATUS, {"id": missing, "status": "SHIPPED"}, headers=admin.headers)
    assert user_error_code(move_it, "updateOrderStatus") == "NOT_FOUND"
    pay_it = await gql(PAY, {"id": missing, "token": "tok_visa"}, headers=admin.headers)
    assert user_error_code(pay_it, "payOrder") == "NOT_FOUND"


async def test_an_order_shipped_or_delivered_cannot_be_cancelled(db, gql, customer, admin):
    shipped_product, delivered_product = await add_products(db, 2)
    shipped = await order_in(gql, customer, admin, "SHIPPED", shipped_product)
    delivered = await order_in(gql, customer, admin, "DELIVERED", delivered_product)

    for order in (shipped, delivered):
        for who in (customer, admin):
            body = await gql(CANCEL, {"id": order["id"]}, headers=who.headers)
            assert user_error_code(body, "cancelOrder") == "INVALID_TRANSITION"
        assert (await order_document(db, order))["status"] == order["status"]
    assert await stock_of(db, shipped_product) == await stock_of(db, delivered_product) == 8
