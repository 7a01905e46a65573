"""The sweep gives back what a process that died while placing an order took."""

from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from tests.factories import global_id
from tests.helpers import (
    LONG_AGO,
    ORDER_QUERY,
    add_product,
    all_orders,
    leftover_holds,
    line,
    order_oid,
    place,
    placed,
    reserving_order,
    stock_of,
    sweeper,
)

MY_ORDERS = """query { orders(first: 100) { totalCount edges { node { id number status } } } }"""
NODE = """query Node($id: ID!) { node(id: $id) { id } }"""


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


async def test_recovery_never_keeps_the_stock_held_for_an_order_still_being_placed(db, customer):
    """A hold may look stale before its order does (their ages are measured apart):
    settled then, its stock would stay taken for an order the sweep later gives up."""
    mug = await add_product(db, stock=10)
    young = reserving_order(customer, [(mug, 2)])
    young["createdAt"] = datetime.now(UTC)
    await db.orders.insert_one(young)
    await hold_by_hand(db, mug, str(young["_id"]), 2)  # timed long ago

    await sweeper(db, grace=timedelta(minutes=2)).recover()

    assert await stock_of(db, mug) == 8
    assert [list(holds) for _, holds in await leftover_holds(db)] == [[str(young["_id"])]]

    await db.orders.replace_one({"_id": young["_id"]}, {**young, "createdAt": LONG_AGO})
    await sweeper(db, grace=timedelta(minutes=2)).recover()

    assert await stock_of(db, mug) == 10
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []


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
