"""Live stock per variant: `stockUpdated` sends one update per variant whose stock changed,
filtered by variants or by products, with the variant's stock and the product's sum.

The subscriptions go to the real app behind uvicorn (`live_server`); orders are placed
through the session's app, and other changes are written to MongoDB directly, as another
program would: the live server sees them all through its change stream.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import ReturnDocument

from tests.conftest import live_server
from tests.helpers import CANCEL, TRANSPORT_WS, add_product, payload_of, placed, subscribe_message
from tests.live_stock_harness import Subscriber, go_live
from tests.test_variant_orders import (
    Shoe,
    Variant,
    add_shoe,
    default_variant_id,
    place_lines,
    variant_line,
)

# --- filters -------------------------------------------------------------------------------


async def test_the_variant_ids_filter_delivers_only_those_variants(db, as_admin, make_settings):
    runner, trail = await runner_and_trail(as_admin)
    watched, other = runner.variant("42 / Black"), runner.variant("42 / White")
    trail_watched, trail_other = trail.variant("42 / Black"), trail.variant("43 / Black")

    async def change_both_products() -> int:
        """The server has seen both products' stock once this went live."""
        await bump(db, trail, {trail_other: 1})
        return await bump(db, runner, {watched: 1})

    async with subscribed(make_settings, variant_ids=[watched.id, trail_watched.id]) as sub:
        await go_live([sub], runner.id, change_both_products)

        await bump(db, runner, {other: -1})
        await bump(db, trail, {trail_other: -1})
        trail_stock = await bump(db, trail, {trail_watched: -2})
        update = await sub.update(5, op_id=OP)
        assert (update["variantId"], update["stock"]) == (trail_watched.id, trail_stock)

        # One write changes a watched and an unwatched variant: only the watched one comes.
        stock = await bump(db, runner, {watched: -3, other: -1})
        update = await sub.update(5, op_id=OP)
        await sub.nothing_more(0.5)

    stored = await db.products.find_one({"_id": runner.oid})
    assert update == {
        "productId": runner.id,
        "variantId": watched.id,
        "stock": stock,
        "inStock": True,
        "productStock": stored["stock"],
        "variant": {"id": watched.id, "sku": "RUN-42-BLACK", "title": "42 / Black"},
        "product": {"sku": "RUN", "stock": stored["stock"]},
    }
    assert stored["stock"] == sum(stored["variantStock"].values())
    assert {u["variantId"] for u in sub.received} <= {watched.id, trail_watched.id}


async def test_the_product_ids_filter_delivers_one_update_per_changed_variant(
    db, as_admin, make_settings
):
    runner, trail = await runner_and_trail(as_admin)
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")

    async with subscribed(make_settings, product_ids=[runner.id]) as sub:
        await go_live([sub], runner.id, lambda: bump(db, runner, {black: 1}))

        await bump(db, trail, {trail.variant("42 / Black"): -1})
        await bump(db, runner, {black: -1, white: -2})
        updates = [await sub.update(5, op_id=OP), await sub.update(5, op_id=OP)]
        await sub.nothing_more(0.5)

        stored = await db.products.find_one({"_id": runner.oid})
        by_variant = {update["variantId"]: update for update in updates}
        assert set(by_variant) == {black.id, white.id}
        for variant in (black, white):
            update = by_variant[variant.id]
            assert update["productId"] == runner.id
            assert update["stock"] == stored["variantStock"][str(variant.oid)]
            assert update["productStock"] == stored["stock"]
            assert update["variant"]["sku"] == variant.sku
            assert update["product"]["sku"] == "RUN"

        # A variant sold out is out of stock, while its product is not.
        await db.products.update_one(
            {"_id": runner.oid},
            {"$inc": {f"variantStock.{white.oid}": -8, "stock": -8}},
        )
        update = await sub.update(5, op_id=OP)
        assert (update["variantId"], update["stock"], update["inStock"]) == (white.id, 0, False)
        assert update["productStock"] == stored["stock"] - 8 > 0


async def test_without_filters_every_changed_variant_of_every_product_is_delivered(
    db, as_admin, make_settings
):
    runner, trail = await runner_and_trail(as_admin)
    mug = await add_product(db, sku="MUG-1", stock=50)
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")
    trail_black, trail_other = trail.variant("42 / Black"), trail.variant("43 / Black")

    async def change_each_product() -> int:
        """The server has seen every product's stock once this went live."""
        await bump(db, trail, {trail_black: 1})
        await db.products.update_one({"_id": mug["_id"]}, {"$inc": {"stock": 1}})
        return await bump(db, runner, {black: 1})

    async with subscribed(make_settings) as sub:
        await go_live([sub], runner.id, change_each_product)
        mug_stock = (await db.products.find_one({"_id": mug["_id"]}))["stock"]

        white_stock = await bump(db, runner, {white: -1})
        trail_stock = await bump(db, trail, {trail_other: -2})
        await db.products.update_one({"_id": mug["_id"]}, {"$inc": {"stock": -5}})
        updates = [await sub.update(5, op_id=OP) for _ in range(3)]
        await sub.nothing_more(0.5)

    mug_variant = default_variant_id(mug["_id"])
    assert {(u["variantId"], u["stock"]) for u in updates} == {
        (white.id, white_stock),
        (trail_other.id, trail_stock),
        (mug_variant, mug_stock - 5),
    }
    [mug_update] = [u for u in updates if u["variantId"] == mug_variant]
    assert mug_update["productStock"] == mug_stock - 5
    assert mug_update["variant"]["sku"] == mug_update["product"]["sku"] == "MUG-1"


# --- orders --------------------------------------------------------------------------------


async def test_an_order_of_one_variant_updates_that_variant_only(
    db, gql, as_admin, customer, make_settings
):
    runner, _ = await runner_and_trail(as_admin)
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")

    async with subscribed(make_settings, product_ids=[runner.id]) as sub:
        await go_live([sub], runner.id, lambda: bump(db, runner, {black: 1}))
        before = await db.products.find_one({"_id": runner.oid})

        order = placed(await place_lines(gql, customer, [variant_line(white, 2)]))
        ordered = await updates_until_quiet(sub)
        body = await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)
        assert payload_of(body, "cancelOrder")["order"]["status"] == "CANCELLED", body
        cancelled = await updates_until_quiet(sub)

    total = before["stock"]
    assert [(u["variantId"], u["stock"], u["productStock"]) for u in ordered] == [
        (white.id, 8, total - 2)
    ]
    assert [(u["variantId"], u["stock"], u["productStock"]) for u in cancelled] == [
        (white.id, 10, total)
    ]


async def test_the_first_order_of_a_product_since_the_server_started_updates_only_its_variant(
    db, gql, as_admin, customer, make_settings
):
    """The server has not seen the runner's stock before the order (it started after the
    runner was stored, and nothing changed it since): its siblings' stock did not change,
    so no update says it did."""
    runner, trail = await runner_and_trail(as_admin)
    white = runner.variant("42 / White")
    beacon = trail.variant("42 / Black")

    async with subscribed(make_settings, product_ids=[runner.id, trail.id]) as sub:
        await go_live([sub], trail.id, lambda: bump(db, trail, {beacon: 1}))

        placed(await place_lines(gql, customer, [variant_line(white, 2)]))
        updates = await updates_until_quiet(sub)

    assert [(u["variant"]["title"], u["stock"], u["productStock"]) for u in updates] == [
        ("42 / White", 8, 100 + 8 + 20)
    ]


# --- limits --------------------------------------------------------------------------------


async def test_more_than_a_hundred_variant_ids_are_refused_before_any_is_decoded(make_settings):
    """101 IDs that are not IDs at all: the count is the error, not the IDs."""
    async with subscribed(make_settings, variant_ids=["not-an-id"] * 101) as sub:
        too_many = await operation_error(sub, OP)
        await sub.ws.send(
            json.dumps(
                subscribe_message(
                    "hundred",
                    {"query": SUBSCRIPTION, "variables": {"variants": ["x"] * 100}},
                    TRANSPORT_WS,
                )
            )
        )
        hundred = await operation_error(sub, "hundred")

    assert "at most 100 variants" in too_many and "101" in too_many, too_many
    assert "Invalid ProductVariant ID" in hundred, hundred


# --- helpers -------------------------------------------------------------------------------

OP = "stock"
SUBSCRIPTION = """subscription S($products: [ID!], $variants: [ID!]) {
  stockUpdated(productIds: $products, variantIds: $variants) {
    productId variantId stock inStock productStock
    variant { id sku title } product { sku stock }
  }
}"""


async def runner_and_trail(as_admin) -> tuple[Shoe, Shoe]:
    """Two products of three and two variants; the runner's 42 / Black is the one each test
    bumps to make its subscription live, with stock far from the others'."""
    runner = await add_shoe(
        as_admin, "RUN", {"42/Black": (6400, 100), "42/White": (5900, 10), "43/Black": (6400, 20)}
    )
    trail = await add_shoe(as_admin, "TRAIL", {"42/Black": (8000, 30), "43/Black": (8000, 40)})
    return runner, trail


@asynccontextmanager
async def subscribed(
    make_settings, product_ids: list[str] | None = None, variant_ids: list[str] | None = None
) -> AsyncIterator[Subscriber]:
    """A live server and one subscription `OP` to it with these filters."""
    async with live_server(make_settings()) as (_, url):
        subscriber = await Subscriber.open(url)
        try:
            variables = {"products": product_ids, "variants": variant_ids}
            message = subscribe_message(
                OP, {"query": SUBSCRIPTION, "variables": variables}, TRANSPORT_WS
            )
            await subscriber.ws.send(json.dumps(message))
            yield subscriber
        finally:
            await subscriber.close()


async def bump(db, shoe: Shoe, deltas: dict[Variant, int]) -> int:
    """Changes these variants' stock and the product's sum in one write, as another program
    would; returns the first variant's new stock."""
    after = await db.products.find_one_and_update(
        {"_id": shoe.oid},
        {
            "$inc": {
                **{f"variantStock.{variant.oid}": delta for variant, delta in deltas.items()},
                "stock": sum(deltas.values()),
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    return after["variantStock"][str(next(iter(deltas)).oid)]


async def updates_until_quiet(subscriber: Subscriber, quiet: float = 0.5) -> list[dict[str, Any]]:
    """The updates of `OP` that arrive (the first within 5 s) until none comes for `quiet` s."""
    updates = [await subscriber.update(5, op_id=OP)]
    while True:
        try:
            updates.append(await subscriber.update(quiet, op_id=OP))
        except TimeoutError:
            return updates


async def operation_error(subscriber: Subscriber, op_id: str) -> str:
    """The error message that ends operation `op_id` (sent as `error`, or as `next` with
    errors and no data); fails on an update."""
    async with asyncio.timeout(5):
        while True:
            message: dict[str, Any] = await subscriber.message(5)
            if message.get("id") != op_id:
                continue
            if message["type"] == "error":
                return message["payload"][0]["message"]
            assert message["type"] == "next", message
            assert message["payload"].get("data") is None, message
            return message["payload"]["errors"][0]["message"]
