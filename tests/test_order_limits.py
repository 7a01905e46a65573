"""No account can hold the shelves: few unpaid orders per customer, few units per line,
few units in all of a customer's unpaid orders together."""

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
MAX_HELD = DEFAULT_LIMITS.max_held_units
TOO_MANY = [{"field": None, "code": "TOO_MANY_PENDING_ORDERS"}]
TOO_MANY_UNITS = [{"field": None, "code": "TOO_MANY_HELD_UNITS"}]
TOO_MANY_UNITS_IN_ONE = [{"field": ["input", "items"], "code": "TOO_MANY_HELD_UNITS"}]


async def unpaid_of(db, user_id) -> list[dict[str, Any]]:
    """The user's orders that hold stock unpaid, as stored (placing ones included)."""
    orders = await db.orders.find({"userId": {"$in": [user_id]}}).to_list()
    return [order for order in orders if order["status"] in ("RESERVING", "PENDING")]


async def units_held(db, user_id) -> int:
    orders = await db.orders.find({"userId": {"$in": [user_id]}}).to_list()
    return sum(item["quantity"] for order in orders for item in order["items"])


async def unpaid_units(db, user_id) -> int:
    orders = await unpaid_of(db, user_id)
    return sum(item["quantity"] for order in orders for item in order["items"])


def spread(products: list[dict[str, Any]], units: int) -> list[dict[str, Any]]:
    """`units` as lines of at most a line's limit, a product each."""
    items = []
    for product in products:
        quantity = min(units, MAX_QUANTITY)
        if quantity:
            items.append(line(product, quantity))
            units -= quantity
    assert units == 0, "too few products to spread the units over"
    return items


async def hold_the_most(gql, who, product: dict[str, Any]) -> list[dict[str, Any]]:
    """Orders of as many units as a line may have, until `who` holds all they may."""
    orders = []
    for start in range(0, MAX_HELD, MAX_QUANTITY):
        quantity = min(MAX_QUANTITY, MAX_HELD - start)
        orders.append(placed(await place(gql, who, [line(product, quantity)])))
    assert len(orders) <= LIMIT, "the settings let the order limit bind first"
    return orders


# --- the attack ---------------------------------------------------------------------------


async def test_a_fresh_account_cannot_hold_every_unit_in_stock(db, gql, customer):
    """The issue's attack: sign up, order every unit of every product, then as much as
    the limits let through, order after order."""
    shelves = [await add_product(db, stock=1000) for _ in range(3)]
    assert len(shelves) * MAX_QUANTITY > MAX_HELD, "the defaults no longer make the attack"
    body = await gql(
        REGISTER,
        {"input": {"email": "hoarder@shop.test", "password": "hoard it all", "name": "H"}},
    )
    headers = {"Authorization": f"Bearer {body['data']['register']['accessToken']}"}

    async def order(items: list[dict[str, Any]]) -> dict[str, Any]:
        body = await gql(PLACE, {"input": {"items": items}}, headers=headers)
        assert "errors" not in body, body
        return body["data"]["placeOrder"]

    everything = await order([line(product, 1000) for product in shelves])
    assert refused(everything) == [
        {"field": ["input", "items", str(n), "quantity"], "code": "INVALID"} for n in range(3)
    ]
    assert f"1 to {MAX_QUANTITY}" in everything["userErrors"][0]["message"]
    every_line_full = await order([line(product, MAX_QUANTITY) for product in shelves])
    assert refused(every_line_full) == TOO_MANY_UNITS_IN_ONE
    # Then one full line at a time, until refused.
    answers = [await order([line(shelves[n % 3], MAX_QUANTITY)]) for n in range(LIMIT + 3)]

    admitted = MAX_HELD // MAX_QUANTITY
    assert [answer["order"] is not None for answer in answers] == (
        [True] * admitted + [False] * (LIMIT + 3 - admitted)
    )
    for answer in answers[admitted:]:
        assert refused(answer) == TOO_MANY_UNITS
        message = answer["userErrors"][0]["message"]
        assert f"{MAX_HELD} units" in message and "pay" in message and "cancel" in message
    orders = await all_orders(db)
    assert len(orders) == admitted
    held = sum(item["quantity"] for order in orders for item in order["items"])
    assert held == sum([1000 - await stock_of(db, product) for product in shelves])
    assert held <= MAX_HELD
    # Another shopper still finds stock.
    placed(await place(gql, customer, [line(product, 1) for product in shelves]))


async def test_other_shoppers_still_buy_what_one_account_could_not_hold(
    db, gql, customer, other_customer
):
    mug = await add_product(db, stock=MAX_HELD + 5)
    await hold_the_most(gql, customer, mug)
    assert refused(await place(gql, customer, [line(mug, 5)])) == TOO_MANY_UNITS

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


# --- units held unpaid per customer ------------------------------------------------------


async def test_an_order_of_more_units_than_a_customer_may_hold_is_refused_before_any_work(
    db, gql, customer, command_log
):
    shelves = [await add_product(db, stock=1000) for _ in range(MAX_HELD // MAX_QUANTITY + 2)]
    command_log.clear()

    payload = await place(gql, customer, spread(shelves, MAX_HELD + 1), "too much")

    assert refused(payload) == TOO_MANY_UNITS_IN_ONE
    message = payload["userErrors"][0]["message"]
    assert f"at most {MAX_HELD} units" in message and f"has {MAX_HELD + 1}" in message
    touched = [
        event.command_name
        for event in command_log.commands
        if event.command.get(event.command_name) in ("orders", "products")
    ]
    assert touched == []
    assert await all_orders(db) == []
    # Exactly as many as a customer may hold is one order.
    order = placed(await place(gql, customer, spread(shelves, MAX_HELD), "too much"))
    assert sum(item["quantity"] for item in order["items"]) == MAX_HELD
    assert sum([1000 - await stock_of(db, product) for product in shelves]) == MAX_HELD


async def test_orders_adding_up_to_more_units_than_allowed_are_refused_taking_nothing(
    db, app_with, make_settings, customer, other_customer
):
    mug = await add_product(db, stock=100)
    pen = await add_product(db, stock=100)
    async with app_with(make_settings(max_held_units=10)) as http:
        gql = gql_of(http)
        placed(await place(gql, customer, [line(mug, 4)]))
        placed(await place(gql, customer, [line(pen, 5)]))
        refusal = await place(gql, customer, [line(mug, 1), line(pen, 1)], "one too many")
        placed(await place(gql, customer, [line(pen, 1)]))
        placed(await place(gql, other_customer, [line(mug, 10)]))

    assert refused(refusal) == TOO_MANY_UNITS
    message = refusal["userErrors"][0]["message"]
    assert "at most 10 units" in message and "already hold 9" in message, message
    assert "pay" in message and "cancel" in message, message
    assert (await stock_of(db, mug), await stock_of(db, pen)) == (100 - 4 - 10, 100 - 5 - 1)
    assert await unpaid_units(db, customer.id) == 10
    assert await db.orders.count_documents({"idempotencyKey": "one too many"}) == 0
    assert await db.orders.count_documents({"status": "RESERVING"}) == 0
    assert await leftover_holds(db) == []


async def test_racing_orders_of_one_customer_never_hold_more_units_than_allowed(
    db, app_with, make_settings
):
    """Ten placeOrders of a quarter of the allowance at once, through two server
    processes, round after round: the database never ends up with more units unpaid
    than allowed, and the stock is exactly what the orders hold."""
    mug = await add_product(db, stock=10_000)
    quarter = MAX_HELD // 4
    # As many unpaid orders as racers: the unit limit is the one that binds.
    roomy = make_settings(max_pending_orders=10)
    buyers = []
    async with app_with(roomy) as first_process, app_with(roomy) as second_process:
        clients = (gql_of(first_process), gql_of(second_process))
        for round_ in range(5):
            buyer = await account(db, first_process, f"racer{round_}@shop.test", "CUSTOMER")
            buyers.append(buyer)
            payloads = await asyncio.gather(
                *(place(clients[n % 2], buyer, [line(mug, quarter)]) for n in range(10))
            )

            won = [payload for payload in payloads if payload["order"] is not None]
            for payload in payloads:
                if payload["order"] is None:
                    assert refused(payload) == TOO_MANY_UNITS
            unpaid = await unpaid_of(db, buyer.id)
            assert await unpaid_units(db, buyer.id) <= MAX_HELD
            assert {order["status"] for order in unpaid} <= {"PENDING"}
            assert sorted(order["_id"] for order in unpaid) == sorted(
                order_oid(payload["order"]) for payload in won
            )
    held = [await units_held(db, buyer.id) for buyer in buyers]
    assert await stock_of(db, mug) == 10_000 - sum(held)
    assert await leftover_holds(db) == []


async def test_paying_or_cancelling_an_order_frees_the_units_it_held(db, gql, customer):
    mug = await add_product(db, stock=1000)
    orders = await hold_the_most(gql, customer, mug)
    assert refused(await place(gql, customer, [line(mug, 1)])) == TOO_MANY_UNITS
    paid, cancelled = (order["items"][0]["quantity"] for order in orders[:2])

    body = await gql(PAY, {"id": orders[0]["id"], "token": "tok_visa"}, headers=customer.headers)
    succeeded(body, "payOrder", "PAID")
    placed(await place(gql, customer, [line(mug, paid)]))
    assert refused(await place(gql, customer, [line(mug, 1)])) == TOO_MANY_UNITS

    body = await gql(CANCEL, {"id": orders[1]["id"]}, headers=customer.headers)
    succeeded(body, "cancelOrder", "CANCELLED")
    placed(await place(gql, customer, [line(mug, cancelled)]))
    assert refused(await place(gql, customer, [line(mug, 1)])) == TOO_MANY_UNITS

    assert await unpaid_units(db, customer.id) == MAX_HELD
    # Paid: its units are sold; cancelled: returned; unpaid: MAX_HELD units.
    assert await stock_of(db, mug) == 1000 - paid - MAX_HELD


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
