"""Money that cannot overflow: product prices and order totals have documented maxima, so
nothing the server computes reaches MongoDB's 64-bit integers; over them is a userError."""

from decimal import Decimal

import pytest

from shopgraph.money import MAX_ORDER_TOTAL, MAX_PRICE, from_minor_units
from tests.helpers import (
    CANCEL,
    CREATE_PRODUCT,
    PAY,
    UPDATE_PRODUCT,
    VALID_PRODUCT,
    add_product,
    all_orders,
    gql_of,
    leftover_holds,
    line,
    order_oid,
    place,
    placed,
    refused,
    stock_of,
    succeeded,
)

INT64_MAX = 2**63 - 1
TOO_LARGE = [{"field": ["input", "items"], "code": "AMOUNT_TOO_LARGE"}]


def amount(minor: int) -> str:
    return str(from_minor_units(minor, "USD"))


def test_the_maxima_keep_every_sum_far_below_64_bits():
    # 50 lines of at most 1,000 units (the settings' ceiling) at the dearest price.
    assert 50 * 1000 * MAX_PRICE < INT64_MAX // 100
    assert MAX_PRICE <= MAX_ORDER_TOTAL < INT64_MAX // 100


# --- order totals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "quantity"),
    [
        # The reproduction: the old maximum price, as other programs may still have
        # stored it, times 1,000 units (the most `max_line_quantity` may allow), ten lines.
        (10**15, 1000),
        # Today's maxima under the default settings.
        (MAX_PRICE, 100),
        # A price at the very edge of what MongoDB stores.
        (INT64_MAX, 1),
    ],
    ids=["old maximum price x 1000", "maximum price x 100", "int64 price x 1"],
)
async def test_ten_lines_over_the_maximum_total_are_a_user_error_that_takes_nothing(
    db, app_with, make_settings, customer, price, quantity
):
    products = [await add_product(db, price=price, stock=5000) for _ in range(10)]

    # Units beyond what one customer may hold: the total is what this tests.
    roomy = make_settings(max_line_quantity=1000, max_held_units=10 * 1000)
    async with app_with(roomy) as http:
        payload = await place(gql_of(http), customer, [line(p, quantity) for p in products], "k")

    assert refused(payload) == TOO_LARGE
    message = payload["userErrors"][0]["message"]
    assert amount(MAX_ORDER_TOTAL) in message, message
    assert await all_orders(db) == []
    assert [await stock_of(db, p) for p in products] == [5000] * 10
    assert await leftover_holds(db) == []
    assert await db.counters.count_documents({}) == 0


async def test_one_line_over_the_maximum_total_is_refused(db, gql, customer):
    dear = await add_product(db, price=MAX_PRICE, stock=10)

    payload = await place(gql, customer, [line(dear, 2)])

    assert refused(payload) == TOO_LARGE
    assert await stock_of(db, dear) == 10
    assert await all_orders(db) == []


async def test_an_order_of_exactly_the_maximum_total_is_placed_paid_and_refunded(db, gql, customer):
    """Every path that handles an order's money (placing, paying, the confirmation email,
    refunding) copes with the largest total."""
    dear = await add_product(db, price=MAX_PRICE, stock=3)

    order = placed(await place(gql, customer, [line(dear, 1)]))
    assert order["total"] == {"amount": amount(MAX_ORDER_TOTAL), "currency": "USD"}
    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers)
    succeeded(body, "payOrder", "PAID")
    body = await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)
    succeeded(body, "cancelOrder", "CANCELLED")

    document = await db.orders.find_one({"_id": order_oid(order)})
    assert document["total"] == MAX_ORDER_TOTAL
    assert document["payment"]["amount"] == MAX_ORDER_TOTAL
    assert document["refund"]["amount"] == MAX_ORDER_TOTAL
    [message] = await db.outbox.find({}).to_list()
    assert f"Total: {amount(MAX_ORDER_TOTAL)} USD" in message["text"]
    assert await stock_of(db, dear) == 3


async def test_many_cheaper_lines_may_add_up_to_the_maximum(db, app_with, make_settings, customer):
    share = MAX_ORDER_TOTAL // 100 // 10
    products = [await add_product(db, price=share, stock=100) for _ in range(10)]

    async with app_with(make_settings(max_held_units=10 * 100)) as http:
        order = placed(await place(gql_of(http), customer, [line(p, 100) for p in products]))

    assert Decimal(order["total"]["amount"]) == Decimal(amount(MAX_ORDER_TOTAL))


# --- product prices -----------------------------------------------------------------------


async def test_the_maximum_price_is_accepted_and_one_cent_more_refused(db, as_admin):
    most = amount(MAX_PRICE)
    over = str(Decimal(most) + Decimal("0.01"))

    created = (await as_admin(CREATE_PRODUCT, {"input": {**VALID_PRODUCT, "price": most}}))[
        "createProduct"
    ]
    refused_create = (
        await as_admin(CREATE_PRODUCT, {"input": {**VALID_PRODUCT, "sku": "NO-1", "price": over}})
    )["createProduct"]
    product_id = created["product"]["id"]
    refused_update = (await as_admin(UPDATE_PRODUCT, {"id": product_id, "input": {"price": over}}))[
        "updateProduct"
    ]

    assert created["userErrors"] == []
    assert created["product"]["price"]["amount"] == most
    for payload in (refused_create, refused_update):
        assert payload["product"] is None
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == (["input", "price"], "INVALID")
        assert most in error["message"], error
    [product] = await db.products.find({}).to_list()
    assert product["price"] == MAX_PRICE
