"""Reading orders: the listing, `me`, snapshot lines, and what a page costs in queries."""

from typing import Any

from tests.conftest import account
from tests.factories import global_id
from tests.helpers import ORDER, ORDERS, add_products, pay
from tests.helpers import place_pending as place

# --- reading orders -----------------------------------------------------------------------


async def test_orders_are_listed_newest_first_with_a_status_filter(db, gql, customer):
    [product] = await add_products(db)
    placed = [await place(gql, customer, (product, 1)) for _ in range(3)]
    await pay(gql, customer, placed[1])

    body = await gql(ORDERS, {"first": 2}, headers=customer.headers)
    listing = body["data"]["orders"]
    assert [e["node"]["id"] for e in listing["edges"]] == [placed[2]["id"], placed[1]["id"]]
    assert listing["totalCount"] == 3 and listing["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        ORDERS, {"first": 2, "after": listing["pageInfo"]["endCursor"]}, headers=customer.headers
    )
    assert [e["node"]["id"] for e in rest["data"]["orders"]["edges"]] == [placed[0]["id"]]

    paid = await gql(ORDERS, {"status": "PAID"}, headers=customer.headers)
    assert [e["node"]["id"] for e in paid["data"]["orders"]["edges"]] == [placed[1]["id"]]
    assert paid["data"]["orders"]["totalCount"] == 1


async def test_a_user_sees_their_own_orders_through_me(db, gql, customer, other_customer):
    [product] = await add_products(db)
    mine = await place(gql, customer, (product, 1))
    await place(gql, other_customer, (product, 1))

    body = await gql(
        "{ me { id orders { totalCount edges { node { id user { id } } } } } }",
        headers=customer.headers,
    )

    assert "errors" not in body, body
    orders = body["data"]["me"]["orders"]
    assert orders["totalCount"] == 1
    assert orders["edges"] == [{"node": {"id": mine["id"], "user": {"id": customer.global_id}}}]


async def test_order_lines_keep_their_snapshot_after_the_product_changes_or_goes(
    db, gql, customer, admin
):
    kept, deleted = await add_products(db, 2)
    order = await place(gql, customer, (kept, 2), (deleted, 1))
    await db.products.update_one({"_id": kept["_id"]}, {"$set": {"name": "Renamed", "price": 1}})

    body = await gql(
        "mutation Delete($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }",
        {"id": global_id("Product", deleted["_id"])},
        headers=admin.headers,
    )
    assert body["data"]["deleteProduct"]["userErrors"] == [], body

    read = await gql(ORDER, {"id": order["id"]}, headers=customer.headers)
    assert "errors" not in read, read
    lines = {line["productId"]: line for line in read["data"]["order"]["items"]}
    for product, quantity in ((kept, 2), (deleted, 1)):
        line = lines[global_id("Product", product["_id"])]
        assert line["sku"] == product["sku"]
        assert line["name"] == product["name"]
        assert line["quantity"] == quantity
        assert line["unitPrice"] == {"amount": f"{product['price'] / 100:.2f}", "currency": "USD"}
        assert line["lineTotal"] == {"amount": f"{product['price'] * quantity / 100:.2f}"}
    assert lines[global_id("Product", kept["_id"])]["product"] == {
        "id": global_id("Product", kept["_id"]),
        "name": "Renamed",
    }
    assert lines[global_id("Product", deleted["_id"])]["product"] is None
    subtotal = kept["price"] * 2 + deleted["price"]
    assert read["data"]["order"]["subtotal"]["amount"] == f"{subtotal / 100:.2f}"


# --- query cost ---------------------------------------------------------------------------

PAGE = """{ orders(first: 20) { edges { node {
  number user { name } items { product { name } }
} } } }"""


def commands_by_collection(command_log) -> list[tuple[str, Any]]:
    return sorted(
        (event.command_name, event.command.get(event.command_name))
        for event in command_log.commands
    )


async def test_a_page_of_orders_costs_the_same_queries_for_two_orders_as_for_twenty(
    db, client, gql, command_log, customer, other_customer, admin
):
    third = await account(db, client, "third@shop.test", "CUSTOMER")
    buyers = [customer, other_customer, third]
    products = await add_products(db, 12, stock=100)

    async def place_numbered(n: int) -> None:
        chosen = [products[(n + k) % len(products)] for k in (0, 1, 2)]
        buyer = buyers[n % len(buyers)]
        order = await place(gql, buyer, *((p, 1 + k) for k, p in enumerate(chosen)))
        await pay(gql, buyer, order)  # a customer may have only a few unpaid orders

    async def read_page(expected: int) -> list[tuple[str, Any]]:
        command_log.clear()
        body = await gql(PAGE, headers=admin.headers)
        assert "errors" not in body, body
        edges = body["data"]["orders"]["edges"]
        assert len(edges) == expected
        assert [edge["node"]["number"] for edge in edges] == list(range(expected, 0, -1))
        for edge in edges:
            number = edge["node"]["number"]
            assert edge["node"]["user"] == {"name": "Test"}
            names = [item["product"]["name"] for item in edge["node"]["items"]]
            chosen = [products[(number - 1 + k) % len(products)] for k in (0, 1, 2)]
            assert sorted(names) == sorted(p["name"] for p in chosen)
        return commands_by_collection(command_log)

    for n in range(2):
        await place_numbered(n)
    two = await read_page(2)
    for n in range(2, 20):
        await place_numbered(n)
    twenty = await read_page(20)

    # One find for the viewer's own account (the permission check), then per page one
    # find each for orders, their users and their products: the same for 2 as for 20.
    expected = [("find", "orders"), ("find", "products"), ("find", "users"), ("find", "users")]
    assert two == expected
    assert twenty == expected
    viewer_find, owners_find = command_log.named("find", "users")
    assert viewer_find["filter"] == {"_id": {"$in": [admin.id]}}
    assert set(owners_find["filter"]["_id"]["$in"]) == {buyer.id for buyer in buyers}
    [orders_find] = command_log.named("find", "orders")
    assert orders_find["limit"] == 21
    [product_find] = command_log.named("find", "products")
    assert set(product_find["filter"]["_id"]["$in"]) == {p["_id"] for p in products}
    # Only what the page selects (and `active`, which decides who may see a product).
    assert set(owners_find["projection"]) == {"name"}
    assert set(product_find["projection"]) == {"name", "active"}
