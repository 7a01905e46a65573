"""No account can hold the shelves: few unpaid orders per customer, few units per line."""

import asyncio
from typing import Any

from tests.conftest import account
from tests.helpers import (
    CANCEL,
    DEFAULT_LIMITS,
    PAY,
    PLACE,
    REGISTER,
    add_product,
    all_orders,
    expire_now,
    gql_of,
    leftover_holds,
    line,
    order_oid,
    place,
    placed,
    refused,
    stock_of,
    succeeded,
    sweeper,
)

LIMIT = DEFAULT_LIMITS.max_pending_orders
MAX_QUANTITY = DEFAULT_LIMITS.max_line_quantity
TOO_MANY = [{"field": None, "code": "TOO_MANY_PENDING_ORDERS"}]


async def unpaid_of(db, user_id) -> list[dict[str, Any]]:
    """The user's orders that hold stock unpaid, as stored (placing ones included)."""
    orders = await db.orders.find({"userId": {"$in": [user_id]}}).to_list()
    return [order for order in orders if order["status"] in ("RESERVING", "PENDING")]


async def units_held(db, user_id) -> int:
    orders = await db.orders.find({"userId": {"$in": [user_id]}}).to_list()
    return sum(item["quantity"] for order in orders for item in order["items"])


# --- the attack ---------------------------------------------------------------------------


async def test_a_fresh_account_cannot_hold_every_unit_in_stock(db, gql, customer):
    """The issue's attack: sign up, then order every unit of every product."""
    shelves = [await add_product(db, stock=1000) for _ in range(3)]
    body = await gql(
        REGISTER,
        {"input": {"email": "hoarder@shop.test", "password": "hoard it all", "name": "H"}},
    )
    hoarder = body["data"]["register"]
    headers = {"Authorization": f"Bearer {hoarder['accessToken']}"}

    async def order(quantity: int) -> dict[str, Any]:
        items = [line(product, quantity) for product in shelves]
        body = await gql(PLACE, {"input": {"items": items}}, headers=headers)
        assert "errors" not in body, body
        return body["data"]["placeOrder"]

    everything = await order(1000)
    assert refused(everything) == [
        {"field": ["input", "items", str(n), "quantity"], "code": "INVALID"} for n in range(3)
    ]
    assert f"1 to {MAX_QUANTITY}" in everything["userErrors"][0]["message"]
    # Then as much as a line may have, order after order, until refused.
    answers = [await order(MAX_QUANTITY) for _ in range(LIMIT + 3)]

    assert [answer["order"] is not None for answer in answers] == [True] * LIMIT + [False] * 3
    for answer in answers[LIMIT:]:
        assert refused(answer) == TOO_MANY
        message = answer["userErrors"][0]["message"]
        assert "pay" in message and "cancel" in message, message
    for product in shelves:
        assert await stock_of(db, product) == 1000 - LIMIT * MAX_QUANTITY
    assert len(await all_orders(db)) == LIMIT
    # Another shopper still finds stock.
    placed(await place(gql, customer, [line(product, 1) for product in shelves]))


async def test_other_shoppers_still_buy_what_one_account_could_not_hold(
    db, gql, customer, other_customer
):
    mug = await add_product(db, stock=LIMIT * MAX_QUANTITY + 5)
    for _ in range(LIMIT):
        placed(await place(gql, customer, [line(mug, MAX_QUANTITY)]))
    assert refused(await place(gql, customer, [line(mug, 5)])) == TOO_MANY

    order = placed(await place(gql, other_customer, [line(mug, 5)]))

    assert order["items"][0]["quantity"] == 5
    assert await stock_of(db, mug) == 0


# --- unpaid orders per customer -----------------------------------------------------------


async def test_racing_orders_of_one_customer_never_leave_more_unpaid_than_the_limit(
    db, client, app_with, make_settings
):
    """Ten placeOrders at once, through two server processes, round after round: the
    database never ends up with more unpaid orders than the limit, and the stock is
    exactly what those orders hold."""
    mug = await add_product(db, stock=10_000)
    buyers = []
    async with app_with(make_settings()) as second_process:
        clients = (gql_of(client), gql_of(second_process))
        for round_ in range(5):
            buyer = await account(db, client, f"racer{round_}@shop.test", "CUSTOMER")
            buyers.append(buyer)
            payloads = await asyncio.gather(
                *(place(clients[n % 2], buyer, [line(mug, n + 1)], f"key-{n}") for n in range(10))
            )

            won = [payload for payload in payloads if payload["order"] is not None]
            for payload in payloads:
                if payload["order"] is None:
                    assert refused(payload) == TOO_MANY
            unpaid = await unpaid_of(db, buyer.id)
            assert len(unpaid) <= LIMIT
            assert {order["status"] for order in unpaid} <= {"PENDING"}
            assert sorted(order["_id"] for order in unpaid) == sorted(
                order_oid(payload["order"]) for payload in won
            )
    held = [await units_held(db, buyer.id) for buyer in buyers]
    assert await stock_of(db, mug) == 10_000 - sum(held)
    assert await leftover_holds(db) == []


async def test_paying_or_cancelling_an_order_frees_a_slot(db, gql, customer):
    mug = await add_product(db, stock=100)
    orders = [placed(await place(gql, customer, [line(mug, 1)])) for _ in range(LIMIT)]
    assert refused(await place(gql, customer, [line(mug, 1)])) == TOO_MANY

    body = await gql(PAY, {"id": orders[0]["id"], "token": "tok_visa"}, headers=customer.headers)
    succeeded(body, "payOrder", "PAID")
    placed(await place(gql, customer, [line(mug, 1)]))
    assert refused(await place(gql, customer, [line(mug, 1)])) == TOO_MANY

    body = await gql(CANCEL, {"id": orders[1]["id"]}, headers=customer.headers)
    succeeded(body, "cancelOrder", "CANCELLED")
    placed(await place(gql, customer, [line(mug, 1)]))
    assert refused(await place(gql, customer, [line(mug, 1)])) == TOO_MANY

    assert len(await unpaid_of(db, customer.id)) == LIMIT
    # Paid: 1 unit; cancelled: returned; pending: LIMIT units.
    assert await stock_of(db, mug) == 100 - 1 - LIMIT


async def test_an_expired_hold_frees_a_slot(db, gql, customer):
    mug = await add_product(db, stock=100)
    orders = [placed(await place(gql, customer, [line(mug, 1)])) for _ in range(LIMIT)]
    assert refused(await place(gql, customer, [line(mug, 1)])) == TOO_MANY
    await expire_now(db, [order_oid(orders[0])])

    assert await sweeper(db).expire_holds() == 1

    placed(await place(gql, customer, [line(mug, 1)]))
    assert await stock_of(db, mug) == 100 - LIMIT


async def test_a_retry_of_a_placed_order_is_answered_not_refused(db, gql, customer):
    mug = await add_product(db, stock=100)
    orders = [placed(await place(gql, customer, [line(mug, 1)], f"k{n}")) for n in range(LIMIT)]

    retry = placed(await place(gql, customer, [line(mug, 1)], f"k{LIMIT - 1}"))
    refusal = await place(gql, customer, [line(mug, 1)], "one too many")

    assert retry == orders[-1]
    assert refused(refusal) == TOO_MANY
    assert await stock_of(db, mug) == 100 - LIMIT
    # The refused attempt kept nothing, not even its key: once a slot is free, it works.
    assert await db.orders.count_documents({"idempotencyKey": "one too many"}) == 0
    body = await gql(CANCEL, {"id": orders[0]["id"]}, headers=customer.headers)
    succeeded(body, "cancelOrder", "CANCELLED")
    later = placed(await place(gql, customer, [line(mug, 1)], "one too many"))
    assert later["status"] == "PENDING"


async def test_the_limit_is_per_customer_and_follows_the_setting(
    db, app_with, make_settings, customer, other_customer
):
    mug = await add_product(db, stock=100)
    async with app_with(make_settings(max_pending_orders=1)) as http:
        gql = gql_of(http)
        placed(await place(gql, customer, [line(mug, 1)]))
        refusal = await place(gql, customer, [line(mug, 1)])
        placed(await place(gql, other_customer, [line(mug, 1)]))

    assert refused(refusal) == TOO_MANY
    assert "1 unpaid" in refusal["userErrors"][0]["message"]
    assert await stock_of(db, mug) == 98
    assert await db.orders.count_documents({"status": "RESERVING"}) == 0


# --- units per line -----------------------------------------------------------------------


async def test_a_line_over_the_quantity_limit_is_refused_naming_its_field(
    db, app_with, make_settings, customer
):
    mug = await add_product(db, stock=100)
    pen = await add_product(db, stock=100)
    async with app_with(make_settings(max_line_quantity=5)) as http:
        gql = gql_of(http)
        over = await place(gql, customer, [line(mug, 1), line(pen, 6)])
        repeated = await place(gql, customer, [line(pen, 3), line(mug, 1), line(pen, 3)])
        most = placed(await place(gql, customer, [line(pen, 2), line(pen, 3)]))

    assert refused(over) == [{"field": ["input", "items", "1", "quantity"], "code": "INVALID"}]
    assert "1 to 5" in over["userErrors"][0]["message"]
    assert refused(repeated) == [{"field": ["input", "items", "0", "quantity"], "code": "INVALID"}]
    assert "at most 5" in repeated["userErrors"][0]["message"]
    assert most["items"][0]["quantity"] == 5
    assert (await stock_of(db, mug), await stock_of(db, pen)) == (100, 95)
