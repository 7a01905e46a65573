"""`User.orders` is read in batches: a page of orders that each select their buyer's
orders costs the same few queries for three buyers as for twelve, and every buyer still
gets exactly the page a query of their own would give."""

import random
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.datasources.client import Datasources
from shopgraph.datasources.keyset import PageRequest, Position
from shopgraph.datasources.orders import OrderQuery
from tests.factories import BASE_TIME, object_id_of, paid_order_document

BUYERS_PAGE = """query Buyers($n: Int) { orders(first: $n) { edges { node {
  number
  user { id orders(first: 5) { totalCount pageInfo { hasNextPage } edges { node { number } } } }
} } } }"""


async def buyers_with_orders(db, buyers: int, orders_each: int) -> dict[ObjectId, list[int]]:
    """`buyers` accounts whose orders were placed in turns, oldest first; each buyer's
    order numbers, newest first."""
    product = {"_id": ObjectId(), "sku": "MUG-1", "name": "Mug", "price": 500}
    users = [ObjectId() for _ in range(buyers)]
    await db.users.insert_many(
        [{"_id": u, "email": f"{u}@shop.test", "name": "Buyer", "role": "CUSTOMER"} for u in users]
    )
    orders = [
        paid_order_document(users[n % buyers], product, n) for n in range(buyers * orders_each)
    ]
    await db.orders.insert_many(orders)
    numbers: dict[ObjectId, list[int]] = {u: [] for u in users}
    for order in reversed(orders):
        numbers[order["userId"]].append(order["number"])
    return numbers


@pytest.mark.parametrize("buyers", [3, 12])
async def test_a_page_of_orders_reads_its_buyers_orders_in_one_batch(
    db, gql, command_log, admin, buyers
):
    numbers = await buyers_with_orders(db, buyers, orders_each=7)

    command_log.clear()
    body = await gql(BUYERS_PAGE, {"n": 2 * buyers}, headers=admin.headers)

    assert "errors" not in body, body
    edges = body["data"]["orders"]["edges"]
    assert len(edges) == 2 * buyers
    for edge in edges:
        user = edge["node"]["user"]
        mine = numbers[object_id_of(user["id"])]
        assert [e["node"]["number"] for e in user["orders"]["edges"]] == mine[:5]
        assert user["orders"]["pageInfo"] == {"hasNextPage": True}
        assert user["orders"]["totalCount"] == 7
    # The listing, one batch of the buyers' pages, one batch of their counts.
    assert len(command_log.named("find", "orders")) == 3
    assert command_log.named("count", "orders") == []
    assert command_log.named("aggregate", "orders") == []


async def test_each_buyer_pages_their_own_orders_with_cursors(db, gql, customer, other_customer):
    product = {"_id": ObjectId(), "sku": "MUG-1", "name": "Mug", "price": 500}
    await db.orders.insert_many(
        [paid_order_document(customer.id, product, n) for n in range(5)]
        + [paid_order_document(other_customer.id, product, 10 + n) for n in range(3)]
    )
    query = """query Mine($first: Int, $after: String, $last: Int, $before: String) {
      me { orders(first: $first, after: $after, last: $last, before: $before) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { node { number } }
      } }
    }"""

    async def page(**args: Any) -> dict[str, Any]:
        body = await gql(query, args, headers=customer.headers)
        assert "errors" not in body, body
        return body["data"]["me"]["orders"]

    first = await page(first=2)
    second = await page(first=2, after=first["pageInfo"]["endCursor"])
    third = await page(first=2, after=second["pageInfo"]["endCursor"])
    back = await page(last=2, before=third["pageInfo"]["startCursor"])

    def numbers(connection: dict[str, Any]) -> list[int]:
        return [edge["node"]["number"] for edge in connection["edges"]]

    assert (numbers(first), numbers(second), numbers(third)) == ([5, 4], [3, 2], [1])
    assert third["pageInfo"]["hasNextPage"] is False
    assert numbers(back) == [3, 2] and back["pageInfo"]["hasPreviousPage"] is True


# --- the batch read gives every user the page of their own ---------------------------------

HIDDEN = "RESERVING"


def one_users_query(user_id: ObjectId | None, status: str | None = None) -> OrderQuery:
    return OrderQuery(hidden=HIDDEN, user_id=user_id, status=status)


async def random_histories(db, seed: int) -> list[ObjectId]:
    """Users with very different histories: none, one, a page, and one who orders far more
    often and more recently than everyone else (their orders crowd the others out of a
    shared read). Some orders share a creation time; some are hidden or of another status."""
    rng = random.Random(seed)
    users = [ObjectId() for _ in range(6)]
    counts = [0, 1, 5, 6, 40, 3]
    product = {"_id": ObjectId(), "sku": "MUG-1", "name": "Mug", "price": 500}
    orders = []
    for user, count in zip(users, counts, strict=True):
        for _ in range(count):
            minute = rng.randrange(200) if user != users[4] else 150 + rng.randrange(60)
            order = paid_order_document(user, product, minute, number=len(orders) + 1)
            order["status"] = rng.choice(["PAID", "PAID", "PENDING", HIDDEN])
            orders.append(order)
    await db.orders.insert_many(orders)
    return users


@pytest.mark.parametrize("seed", range(4))
async def test_batched_pages_equal_each_users_own_page(db, seed):
    orders = Datasources.for_database(db).orders
    users = await random_histories(db, seed)
    middle = Position(BASE_TIME + timedelta(minutes=170), ObjectId("0" * 24))
    requests = [
        PageRequest("createdAt", descending=True, limit=limit, after=after)
        for limit in (1, 2, 5)
        for after in (None, middle)
    ] + [
        PageRequest("createdAt", descending=True, limit=limit, before=before, backward=True)
        for limit in (1, 5)
        for before in (None, middle)
    ]
    for status in (None, "PAID"):
        for request in requests:
            together = await orders.pages_by_user(
                one_users_query(None, status), users, request, {"number"}
            )
            for user in users:
                alone = await orders.page(one_users_query(user, status), request, {"number"})
                assert [d["_id"] for d in together[user].documents] == [
                    d["_id"] for d in alone.documents
                ], (user, request, status)
                assert together[user].has_more == alone.has_more, (user, request, status)


async def test_counts_are_read_together_and_per_user(db):
    orders = Datasources.for_database(db).orders
    users = await random_histories(db, seed=1)

    together = await orders.counts_by_user(one_users_query(None), users)

    for user in users:
        assert together[user] == await orders.count(one_users_query(user)), user


async def test_a_user_crowded_out_of_the_shared_read_gets_a_read_of_their_own(db):
    """The one case that costs more than one query: a user whose page the others' newer
    orders pushed out of the shared read gets a second, for that user alone."""
    product = {"_id": ObjectId(), "sku": "MUG-1", "name": "Mug", "price": 500}
    busy, quiet = ObjectId(), ObjectId()
    await db.orders.insert_many(
        [paid_order_document(quiet, product, n) for n in range(3)]
        + [paid_order_document(busy, product, 100 + n) for n in range(20)]
    )
    orders = Datasources.for_database(db).orders
    request = PageRequest("createdAt", descending=True, limit=2)

    pages = await orders.pages_by_user(one_users_query(None), [busy, quiet], request, None)

    assert [d["number"] for d in pages[busy].documents] == [120, 119]
    assert [d["number"] for d in pages[quiet].documents] == [3, 2]
    assert pages[quiet].has_more and pages[busy].has_more
