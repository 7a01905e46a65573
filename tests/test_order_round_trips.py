"""A page of orders with their lines, buyers, products and variants costs the same few
MongoDB commands for one order as for twenty: the admin's listing and a customer's
`me { orders }`. A read per order or per line coming back makes the 20-order page cost more.
"""

from typing import Any

import pytest
from bson import ObjectId

from tests.factories import global_id, paid_order_document, product_document

ADMIN_PAGE = """query Page($first: Int) { orders(first: $first) { edges { node {
  number user { name email }
  items { sku quantity product { name } variant { id sku title stock price { amount } } }
} } } }"""
MY_PAGE = """query Mine($first: Int) { me { name orders(first: $first) { edges { node {
  number user { name }
  items { quantity product { name } variant { sku title stock product { description } } }
} } } } }"""
LINES_PER_ORDER = 3
ORDERS = 25


def shoe(n: int) -> dict[str, Any]:
    """A product in two sizes, each with its own stock."""
    sizes = [ObjectId(), ObjectId()]
    variants = [
        {
            "_id": variant_id,
            "sku": f"SHOE-{n}-{size}",
            "price": 5000 + size,
            "selectedOptions": [{"name": "Size", "value": str(size)}],
        }
        for variant_id, size in zip(sizes, (41, 42), strict=True)
    ]
    return product_document(
        name=f"Shoe {n}",
        options=[{"name": "Size", "values": ["41", "42"]}],
        variants=variants,
        variantStock={str(sizes[0]): 3, str(sizes[1]): 4},
        stock=7,
    )


async def store_with_orders(db, owners: list[ObjectId]) -> list[dict[str, Any]]:
    """ORDERS orders of LINES_PER_ORDER lines, by turns of `owners`, oldest first: each
    order's lines are one plain product and sizes of shoes, all different products."""
    plain = [product_document(name=f"Mug {n}") for n in range(ORDERS)]
    shoes = [shoe(n) for n in range(ORDERS * (LINES_PER_ORDER - 1))]
    await db.products.insert_many(plain + shoes)
    orders = []
    for n in range(ORDERS):
        order = paid_order_document(owners[n % len(owners)], plain[n], n)
        for k in range(LINES_PER_ORDER - 1):
            product = shoes[n * (LINES_PER_ORDER - 1) + k]
            variant = product["variants"][k % 2]
            order["items"].append(
                {
                    "productId": product["_id"],
                    "variantId": variant["_id"],
                    "variantTitle": variant["selectedOptions"][0]["value"],
                    "sku": variant["sku"],
                    "name": product["name"],
                    "unitPrice": variant["price"],
                    "quantity": 1,
                    "lineTotal": variant["price"],
                }
            )
        orders.append(order)
    await db.orders.insert_many(orders)
    return orders


async def buyers(db, count: int) -> list[ObjectId]:
    ids = [ObjectId() for _ in range(count)]
    await db.users.insert_many(
        [
            {"_id": i, "email": f"{i}@shop.test", "name": f"Buyer {n}", "role": "CUSTOMER"}
            for n, i in enumerate(ids)
        ]
    )
    return ids


def commands(command_log) -> list[tuple[str, str]]:
    return [(e.command_name, e.command.get(e.command_name)) for e in command_log.commands]


def assert_lines_read_right(node: dict[str, Any], order: dict[str, Any]) -> None:
    """Every line shows its own product and the variant it ordered, as stored now."""
    items = node["items"]
    assert [item["product"]["name"] for item in items] == [line["name"] for line in order["items"]]
    assert items[0]["variant"]["sku"] == order["items"][0]["sku"]  # a product's only variant
    for item, line in zip(items[1:], order["items"][1:], strict=True):
        assert item["variant"]["sku"] == line["sku"]
        assert item["variant"]["title"] == line["variantTitle"]
        assert item["variant"]["stock"] == (3 if line["variantTitle"] == "41" else 4)


@pytest.mark.parametrize("first", [1, 20])
async def test_the_admins_order_listing_reads_each_collection_once_whatever_the_page_size(
    db, gql, command_log, admin, first
):
    owners = await buyers(db, 4)
    orders = await store_with_orders(db, owners)
    newest = orders[::-1][:first]

    command_log.clear()
    body = await gql(ADMIN_PAGE, {"first": first}, headers=admin.headers)

    assert "errors" not in body, body
    edges = body["data"]["orders"]["edges"]
    assert [edge["node"]["number"] for edge in edges] == [o["number"] for o in newest]
    for edge, order in zip(edges, newest, strict=True):
        n = owners.index(order["userId"])
        assert edge["node"]["user"] == {
            "name": f"Buyer {n}",
            "email": f"{order['userId']}@shop.test",
        }
        assert_lines_read_right(edge["node"], order)
        first_variant = edge["node"]["items"][1]["variant"]
        assert first_variant["id"] == global_id(
            "ProductVariant", f"{order['items'][1]['productId']}:{order['items'][1]['variantId']}"
        )
    # The caller's account (the session check every signed-in request makes), then the
    # page itself: its orders, their buyers, their products with their variants.
    session_check, *page = commands(command_log)
    assert session_check == ("find", "users")
    assert page == [("find", "orders"), ("find", "users"), ("find", "products")]
    [owners_read] = command_log.named("find", "users")[1:]
    assert set(owners_read["filter"]["_id"]["$in"]) == {o["userId"] for o in newest}
    assert set(owners_read["projection"]) == {"name", "email"}
    [products_read] = command_log.named("find", "products")
    wanted = {line["productId"] for order in newest for line in order["items"]}
    assert set(products_read["filter"]["_id"]["$in"]) == wanted
    assert "description" not in products_read["projection"]


@pytest.mark.parametrize("first", [1, 20])
async def test_a_customers_own_orders_cost_three_reads_whatever_the_page_size(
    db, gql, command_log, customer, first
):
    orders = await store_with_orders(db, [customer.id])
    newest = orders[::-1][:first]

    command_log.clear()
    body = await gql(MY_PAGE, {"first": first}, headers=customer.headers)

    assert "errors" not in body, body
    edges = body["data"]["me"]["orders"]["edges"]
    assert [edge["node"]["number"] for edge in edges] == [o["number"] for o in newest]
    for edge, order in zip(edges, newest, strict=True):
        assert edge["node"]["user"] == {"name": "Test"}
        assert_lines_read_right(edge["node"], order)
        for item in edge["node"]["items"][1:]:
            assert item["variant"]["product"]["description"].startswith("Description of")
    # The customer's account, read once for the session check, `me` and every order's
    # `user`; their orders; the lines' products, whole since `variant.product` asks for
    # the description.
    assert commands(command_log) == [("find", "users"), ("find", "orders"), ("find", "products")]


async def test_a_buyer_who_is_also_the_caller_is_not_read_twice(db, gql, command_log, admin):
    """The admin's own orders among the page: the account read for the session check
    (every field) serves their orders' `user` too."""
    await store_with_orders(db, [admin.id])

    command_log.clear()
    body = await gql(ADMIN_PAGE, {"first": 20}, headers=admin.headers)

    assert "errors" not in body, body
    users = {edge["node"]["user"]["email"] for edge in body["data"]["orders"]["edges"]}
    assert users == {admin.email}
    assert commands(command_log) == [("find", "users"), ("find", "orders"), ("find", "products")]


async def test_a_deleted_buyer_and_a_deleted_product_read_as_null_in_the_same_batch(
    db, gql, command_log, admin
):
    owners = await buyers(db, 2)
    orders = await store_with_orders(db, owners)
    gone_product = orders[-1]["items"][1]["productId"]
    await db.products.delete_one({"_id": gone_product})
    await db.users.delete_one({"_id": owners[0]})

    command_log.clear()
    body = await gql(ADMIN_PAGE, {"first": 4}, headers=admin.headers)

    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    assert [node["user"] is None for node in nodes] == [
        o["userId"] == owners[0] for o in orders[::-1][:4]
    ]
    assert nodes[0]["items"][1]["product"] is None and nodes[0]["items"][1]["variant"] is None
    assert nodes[0]["items"][2]["variant"] is not None
    assert len(commands(command_log)) == 4
