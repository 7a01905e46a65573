"""A variant's stock is exact under races: orders, cancels, the expiry and recovery sweeps,
and admins changing the variant list all move each unit once, and the product's `stock`
stays the sum of its variants' stock."""

import asyncio
from collections import Counter
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.datasources.stock_holds import StockHoldsDatasource
from tests.factories import object_id_of
from tests.helpers import (
    CANCEL,
    LONG_AGO,
    add_product,
    all_orders,
    assert_no_stock_markers,
    expire_now,
    leftover_holds,
    order_document,
    order_oid,
    payload_of,
    placed,
    refused,
    reserving_order,
    reserving_order_of,
    stock_of,
    sweeper,
)
from tests.test_variant_orders import (
    Shoe,
    Variant,
    add_shoe,
    customers,
    default_variant_id,
    place_lines,
    variant_line,
    variant_object_id,
    variant_stocks,
)

# --- racing orders -------------------------------------------------------------------------


async def test_two_hundred_racing_orders_of_one_variant_sell_exactly_its_stock(
    db, gql, client, as_admin
):
    runner = await add_shoe(
        as_admin, "RUN", {"42/Black": (6400, 30), "42/White": (5900, 40), "43/Black": (6400, 50)}
    )
    black = runner.variant("42 / Black")
    # Two orders each: within every customer's limit of unpaid orders and units.
    buyers = await customers(db, client, 100)

    seen: list[dict[str, int]] = []
    racing = True

    async def watch_stock() -> None:
        """What a reader sees meanwhile: never a negative stock, or a sibling's change."""
        while racing:
            seen.append(await variant_stocks(db, runner))
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch_stock())
    try:
        payloads = await asyncio.gather(
            *(place_lines(gql, buyers[n % 100], [variant_line(black, 1)]) for n in range(200))
        )
    finally:
        racing = False
        await watcher

    assert len(seen) > 1, "the watcher never ran during the race"
    assert all(0 <= stocks["42 / Black"] <= 30 for stocks in seen), seen
    assert {(stocks["42 / White"], stocks["43 / Black"]) for stocks in seen} == {(40, 50)}
    won = [payload for payload in payloads if payload["order"] is not None]
    lost = [payload for payload in payloads if payload["order"] is None]
    assert len(won) == 30
    for payload in won:
        assert payload["userErrors"] == []
        [item] = payload["order"]["items"]
        assert (item["variantId"], item["quantity"]) == (black.id, 1)
    for payload in lost:
        assert refused(payload) == [
            {"field": ["input", "items", "0", "quantity"], "code": "OUT_OF_STOCK"}
        ]
        message = payload["userErrors"][0]["message"]
        assert "Only 0" in message and "42 / Black" in message, message
    assert sorted(payload["order"]["number"] for payload in won) == list(range(1, 31))

    assert await variant_stocks(db, runner) == {"42 / Black": 0, "42 / White": 40, "43 / Black": 50}
    assert await stock_of(db, {"_id": runner.oid}) == 90
    stored = await all_orders(db)
    assert len(stored) == 30
    assert {order["status"] for order in stored} == {"PENDING"}
    assert {item["variantId"] for order in stored for item in order["items"]} == {black.oid}
    assert await leftover_holds(db) == []


@pytest.mark.parametrize("short_line_first", [False, True])
async def test_an_order_with_one_short_variant_takes_neither(
    db, gql, as_admin, customer, short_line_first
):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 5), "42/White": (5900, 1)})
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")
    items = [variant_line(black, 2), variant_line(white, 3)]
    if short_line_first:
        items.reverse()

    payload = await place_lines(gql, customer, items)

    short_index = "0" if short_line_first else "1"
    assert refused(payload) == [
        {"field": ["input", "items", short_index, "quantity"], "code": "OUT_OF_STOCK"}
    ]
    message = payload["userErrors"][0]["message"]
    assert "42 / White" in message and "RUN-42-WHITE" in message and "Only 1 " in message, message
    assert await variant_stocks(db, runner) == {"42 / Black": 5, "42 / White": 1}
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []

    # The failed attempt used no order number, and both variants can still be bought.
    order = placed(
        await place_lines(gql, customer, [variant_line(black, 2), variant_line(white, 1)])
    )
    assert order["number"] == 1
    assert await variant_stocks(db, runner) == {"42 / Black": 3, "42 / White": 0}


@pytest.mark.parametrize("short_product_first", [False, True])
async def test_an_order_of_variants_of_two_products_is_all_or_nothing(
    db, gql, as_admin, customer, short_product_first
):
    """Products take their stock in id order: the one created first is taken first."""
    specs = {
        "plenty": ("RUN", {"42/Black": (6400, 5), "42/White": (5900, 5)}),
        "short": ("TRAIL", {"42/Black": (8000, 1), "43/Black": (8000, 5)}),
    }
    names = ["short", "plenty"] if short_product_first else ["plenty", "short"]
    created = {name: await add_shoe(as_admin, *specs[name]) for name in names}
    plenty, short = created["plenty"], created["short"]
    items = [
        variant_line(plenty.variant("42 / Black"), 2),
        variant_line(short.variant("43 / Black"), 2),
        variant_line(plenty.variant("42 / White"), 1),
        variant_line(short.variant("42 / Black"), 2),
    ]

    payload = await place_lines(gql, customer, items)

    assert refused(payload) == [
        {"field": ["input", "items", "3", "quantity"], "code": "OUT_OF_STOCK"}
    ]
    assert await variant_stocks(db, plenty) == {"42 / Black": 5, "42 / White": 5}
    assert await variant_stocks(db, short) == {"42 / Black": 1, "43 / Black": 5}
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []

    items[3] = variant_line(short.variant("42 / Black"), 1)
    placed(await place_lines(gql, customer, items))
    assert await variant_stocks(db, plenty) == {"42 / Black": 3, "42 / White": 4}
    assert await variant_stocks(db, short) == {"42 / Black": 0, "43 / Black": 3}


async def test_racing_orders_of_two_variants_of_one_product_all_succeed(db, gql, client, as_admin):
    """Taking one variant's units never makes an order of another variant fail."""
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 20), "42/White": (5900, 25)})
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")
    buyers = await customers(db, client, 20)

    payloads = await asyncio.gather(
        *(
            place_lines(gql, buyers[n % 20], [variant_line(black if n % 2 else white, 1)])
            for n in range(40)
        )
    )

    assert [payload["userErrors"] for payload in payloads] == [[]] * 40
    assert await variant_stocks(db, runner) == {"42 / Black": 0, "42 / White": 5}
    sold = Counter(item["variantId"] for order in await all_orders(db) for item in order["items"])
    assert sold == {black.oid: 20, white.oid: 20}
    assert await leftover_holds(db) == []


# --- giving units back ---------------------------------------------------------------------


async def test_racing_cancels_return_each_variants_units_once(db, gql, as_admin, customer):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 10), "42/White": (5900, 10)})
    trail = await add_shoe(as_admin, "TRAIL", {"42/Black": (8000, 10), "43/Black": (8000, 10)})
    order = placed(
        await place_lines(
            gql,
            customer,
            [
                variant_line(runner.variant("42 / Black"), 3),
                variant_line(runner.variant("42 / White"), 2),
                variant_line(trail.variant("43 / Black"), 4),
            ],
        )
    )
    assert await variant_stocks(db, runner) == {"42 / Black": 7, "42 / White": 8}

    bodies = await asyncio.gather(
        *(gql(CANCEL, {"id": order["id"]}, headers=customer.headers) for _ in range(10))
    )

    payloads = [payload_of(body, "cancelOrder") for body in bodies]
    won = [payload for payload in payloads if payload["order"] is not None]
    assert len(won) == 1 and won[0]["order"]["status"] == "CANCELLED"
    for payload in payloads:
        if payload["order"] is None:
            assert [error["code"] for error in payload["userErrors"]] == ["INVALID_TRANSITION"]
    assert await variant_stocks(db, runner) == {"42 / Black": 10, "42 / White": 10}
    assert await variant_stocks(db, trail) == {"42 / Black": 10, "43 / Black": 10}
    assert (await order_document(db, order))["stockReturn"] == "DONE"
    await assert_no_stock_markers(db)

    # The sweep finds nothing more to give back.
    await sweeper(db).recover()
    assert await variant_stocks(db, runner) == {"42 / Black": 10, "42 / White": 10}


async def test_an_expired_hold_returns_each_variants_units(db, gql, as_admin, customer):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 10), "42/White": (5900, 10)})
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")
    expiring = placed(
        await place_lines(gql, customer, [variant_line(black, 2), variant_line(white, 3)])
    )
    kept = placed(await place_lines(gql, customer, [variant_line(black, 1)]))
    await expire_now(db, [order_oid(expiring)])

    expired = await asyncio.gather(sweeper(db).expire_holds(), sweeper(db).expire_holds())

    assert sum(expired) == 1
    assert await variant_stocks(db, runner) == {"42 / Black": 9, "42 / White": 10}
    assert (await order_document(db, expiring))["status"] == "CANCELLED"
    assert (await order_document(db, kept))["status"] == "PENDING"
    await assert_no_stock_markers(db)


async def test_recovery_returns_each_variants_units_of_an_order_that_died_reserving(
    db, as_admin, customer
):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 10), "42/White": (5900, 10)})
    trail = await add_shoe(as_admin, "TRAIL", {"42/Black": (8000, 10), "43/Black": (8000, 10)})
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")
    crashed = reserving_variant_order(
        customer.id,
        [(runner, black, 3), (runner, white, 4), (trail, trail.variant("42 / Black"), 2)],
    )
    await db.orders.insert_one(crashed)
    # It died after taking the runner's variants, before the trail shoe's.
    await hold_variants_by_hand(db, runner, str(crashed["_id"]), {black: 3, white: 4})
    assert await variant_stocks(db, runner) == {"42 / Black": 7, "42 / White": 6}

    await asyncio.gather(sweeper(db).recover(), sweeper(db).recover())
    await sweeper(db).recover()

    assert await variant_stocks(db, runner) == {"42 / Black": 10, "42 / White": 10}
    assert await variant_stocks(db, trail) == {"42 / Black": 10, "43 / Black": 10}
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []


async def test_recovery_releases_a_variant_hold_whose_order_never_existed(db, as_admin):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 10), "42/White": (5900, 10)})
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")
    await hold_variants_by_hand(db, runner, str(ObjectId()), {black: 1, white: 5})
    await hold_variants_by_hand(db, runner, str(ObjectId()), {white: 2})
    assert await variant_stocks(db, runner) == {"42 / Black": 9, "42 / White": 3}

    await sweeper(db).recover()
    await sweeper(db).recover()

    assert await variant_stocks(db, runner) == {"42 / Black": 10, "42 / White": 10}
    assert await leftover_holds(db) == []


async def test_recovery_releases_a_legacy_hold_without_variants_to_stock(db, customer):
    """A marker written before variants names only a quantity: of the default variant."""
    mug = await add_product(db, stock=10)
    crashed = reserving_order(customer, [(mug, 4)])  # items without variantId, as then
    await db.orders.insert_one(crashed)
    await db.products.update_one(
        {"_id": mug["_id"]},
        {
            "$inc": {"stock": -4},
            "$set": {f"holds.{crashed['_id']}": {"quantity": 4, "atMs": LONG_AGO_MS}},
        },
    )

    await sweeper(db).recover()
    await sweeper(db).recover()

    stored = await db.products.find_one({"_id": mug["_id"]})
    assert stored["stock"] == 10
    assert "variantStock" not in stored
    assert await all_orders(db) == []
    assert await leftover_holds(db) == []


@pytest.mark.parametrize("variants_left", [2, 1])
async def test_cancelling_after_a_held_variant_was_deleted_returns_the_others(
    db, gql, as_admin, customer, variants_left
):
    """The deleted variant's units leave the catalog with it; the others come back."""
    stocks = {"42/Black": (6400, 10), "42/White": (5900, 10), "43/Black": (6400, 10)}
    if variants_left == 1:
        del stocks["43/Black"]
    runner = await add_shoe(as_admin, "RUN", stocks)
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")
    order = placed(
        await place_lines(gql, customer, [variant_line(black, 2), variant_line(white, 3)])
    )

    deleted = await as_admin(DELETE_VARIANT, {"id": white.id})
    assert deleted["deleteVariant"]["userErrors"] == [], deleted
    body = await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)

    assert payload_of(body, "cancelOrder")["order"]["status"] == "CANCELLED", body
    stored = await db.products.find_one({"_id": runner.oid})
    if variants_left == 2:
        assert stored["variantStock"] == {
            str(black.oid): 10,
            str(runner.variant("43 / Black").oid): 10,
        }
        assert stored["stock"] == sum(stored["variantStock"].values()) == 20
    else:
        assert "variantStock" not in stored  # one variant: `stock` is its stock of record
        assert stored["stock"] == 10
    assert [variant["_id"] for variant in stored["variants"]] == [
        variant.oid for variant in runner.variants if variant != white
    ]
    assert (await order_document(db, order))["stockReturn"] == "DONE"
    await assert_no_stock_markers(db)


# --- an admin changes the variant list while orders take stock -----------------------------


async def test_adding_a_second_variant_while_orders_take_stock_loses_and_makes_no_unit(
    db, gql, client, as_admin, monkeypatch
):
    """50 orders race for the 40 units of a product's default variant. 20 take their stock
    freely; the other 30 have read the product, still with one variant, and take their
    stock only after the admin has added a second one, so each must find its variant's
    units where they now are (`variantStock`), not where it read them (`stock`)."""
    created = await as_admin(
        CREATE_PRODUCT, {"input": {"sku": "TEE", "name": "Tee", "price": "15.00", "stock": 40}}
    )
    assert created["createProduct"]["userErrors"] == [], created
    tee = created["createProduct"]["product"]
    tee_oid = object_id_of(tee["id"])
    default = default_variant_id(tee_oid)
    assert [variant["id"] for variant in tee["variants"]] == [default]
    options = {"id": tee["id"], "input": {"options": [{"name": "Size", "values": ["M", "L"]}]}}
    assert (await as_admin(UPDATE_OPTIONS, options))["updateProduct"]["userErrors"] == []
    buyers = await customers(db, client, 25)
    large = {
        "sku": "TEE-L",
        "price": "16.00",
        "stock": 7,
        "selectedOptions": [{"name": "Size", "value": "L"}],
    }
    take = StockHoldsDatasource.take
    arrived, all_read, added = [0], asyncio.Event(), asyncio.Event()

    async def take_some_after_the_variant_is_added(self, product, *args, **kwargs):
        arrived[0] += 1
        if arrived[0] > 20:
            if arrived[0] == 50:
                all_read.set()
            await asyncio.wait_for(added.wait(), 10)
        return await take(self, product, *args, **kwargs)

    async def add_variant() -> dict[str, Any]:
        await asyncio.wait_for(all_read.wait(), 10)
        try:
            return await as_admin(CREATE_VARIANT, {"productId": tee["id"], "input": large})
        finally:
            added.set()

    monkeypatch.setattr(StockHoldsDatasource, "take", take_some_after_the_variant_is_added)
    added_variant, *payloads = await asyncio.gather(
        add_variant(),
        *(
            place_lines(gql, buyers[n % 25], [{"variantId": default, "quantity": 1}])
            for n in range(50)
        ),
    )
    monkeypatch.undo()

    adding = added_variant["createVariant"]
    assert adding["userErrors"] == [], adding
    when_added = {variant["sku"]: variant["stock"] for variant in adding["product"]["variants"]}
    assert 20 <= when_added["TEE"] <= 40 and when_added["TEE-L"] == 7, when_added
    sold = [payload for payload in payloads if payload["order"] is not None]
    for payload in payloads:
        if payload["order"] is None:
            assert refused(payload) == [
                {"field": ["input", "items", "0", "quantity"], "code": "OUT_OF_STOCK"}
            ]
            assert "Only 0 " in payload["userErrors"][0]["message"]
    assert len(sold) == 40
    stored = await db.products.find_one({"_id": tee_oid})
    large_oid = variant_object_id(adding["variant"]["id"])
    assert stored["variantStock"] == {str(tee_oid): 40 - len(sold), str(large_oid): 7}
    assert stored["stock"] == sum(stored["variantStock"].values()) == 7
    orders = await all_orders(db)
    assert sum(order["items"][0]["quantity"] for order in orders) == len(sold)
    assert {item["variantId"] for order in orders for item in order["items"]} == {tee_oid}
    assert await leftover_holds(db) == []


# --- helpers -------------------------------------------------------------------------------

DELETE_VARIANT = """mutation Delete($id: ID!) {
  deleteVariant(id: $id) { deletedId userErrors { field message code } }
}"""
VARIANT_FIELDS = "variants { id sku title stock }"
USER_ERRORS = "userErrors { field message code }"
CREATE_PRODUCT = f"""mutation Create($input: ProductCreateInput!) {{
  createProduct(input: $input) {{ product {{ id stock {VARIANT_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_OPTIONS = f"""mutation Options($id: ID!, $input: ProductUpdateInput!) {{
  updateProduct(id: $id, input: $input) {{ product {{ id {VARIANT_FIELDS} }} {USER_ERRORS} }}
}}"""
CREATE_VARIANT = f"""mutation Add($productId: ID!, $input: VariantInput!) {{
  createVariant(productId: $productId, input: $input) {{
    variant {{ id sku stock }} product {{ stock {VARIANT_FIELDS} }} {USER_ERRORS}
  }}
}}"""
LONG_AGO_MS = int(LONG_AGO.timestamp() * 1000)


def reserving_variant_order(
    user_id: ObjectId, lines: list[tuple[Shoe, Variant, int]]
) -> dict[str, Any]:
    """An order as a process that died while taking its variants' stock leaves it."""
    items = [
        {
            "productId": shoe.oid,
            "variantId": variant.oid,
            "variantTitle": variant.title,
            "sku": variant.sku,
            "name": f"Runner {shoe.sku}",
            "unitPrice": 1000,
            "quantity": quantity,
            "lineTotal": 1000 * quantity,
        }
        for shoe, variant, quantity in lines
    ]
    return reserving_order_of(user_id, items)


async def hold_variants_by_hand(
    db, shoe: Shoe, order_key: str, quantities: dict[Variant, int]
) -> None:
    """What taking stock does: the variants' stock and the sum go down in one update, and a
    marker says for whom, and how many of which variant."""
    result = await db.products.update_one(
        {"_id": shoe.oid},
        {
            "$inc": {
                **{f"variantStock.{variant.oid}": -q for variant, q in quantities.items()},
                "stock": -sum(quantities.values()),
            },
            "$set": {
                f"holds.{order_key}": {
                    "quantity": sum(quantities.values()),
                    "variants": {str(variant.oid): q for variant, q in quantities.items()},
                    "atMs": LONG_AGO_MS,
                }
            },
        },
    )
    assert result.modified_count == 1
