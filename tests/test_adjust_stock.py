"""adjustStock: every change is a movement; the stock stays within range."""

from datetime import datetime

import pytest
from bson import ObjectId

from tests.factories import global_id, product_document
from tests.helpers import MAX_STOCK, adjust, error, gid, movements, stored, without_messages


async def test_adjust_stock_up_and_down_records_each_movement(db, as_admin, admin, mug):
    up = await adjust(as_admin, mug, 3, "  delivery  ")
    down = await adjust(as_admin, mug, -6, "breakage")

    assert up == {"product": {"id": gid(mug), "stock": 8, "inStock": True}, "userErrors": []}
    assert down == {"product": {"id": gid(mug), "stock": 2, "inStock": True}, "userErrors": []}
    assert (await stored(db, mug))["stock"] == 2
    recorded = await movements(db)
    assert [
        (m["productId"], m["delta"], m["stockAfter"], m["reason"], m["userId"]) for m in recorded
    ] == [
        (mug["_id"], 3, 8, "delivery", admin.id),
        (mug["_id"], -6, 2, "breakage", admin.id),
    ]
    assert all(isinstance(m["at"], datetime) for m in recorded)
    assert recorded[0]["at"] <= recorded[1]["at"]


async def test_adjust_stock_to_exactly_zero(db, as_admin, mug):
    payload = await adjust(as_admin, mug, -5)

    assert payload == {"product": {"id": gid(mug), "stock": 0, "inStock": False}, "userErrors": []}
    assert (await stored(db, mug))["stock"] == 0
    [movement] = await movements(db)
    assert (movement["delta"], movement["stockAfter"]) == (-5, 0)


async def test_adjust_stock_beyond_zero_is_out_of_stock_and_names_the_available_amount(
    db, as_admin, mug
):
    payload = await adjust(as_admin, mug, -6)

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["delta"], "OUT_OF_STOCK")]
    assert "5" in payload["userErrors"][0]["message"]
    assert "6" in payload["userErrors"][0]["message"]
    assert await stored(db, mug) == mug
    assert await movements(db) == []


async def test_adjust_stock_of_an_empty_product_names_zero(db, as_admin):
    empty = product_document(stock=0)
    await db.products.insert_one(empty)

    payload = await adjust(as_admin, empty, -1)

    assert without_messages(payload["userErrors"]) == [error(["delta"], "OUT_OF_STOCK")]
    assert "0" in payload["userErrors"][0]["message"]
    assert (await stored(db, empty))["stock"] == 0


@pytest.mark.parametrize("delta", [1, -1])
async def test_adjust_stock_of_no_such_product_is_not_found(db, as_admin, mug, delta):
    payload = await adjust(as_admin, global_id("Product", ObjectId()), delta)

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["productId"], "NOT_FOUND")]
    assert await movements(db) == []
    assert await db.products.count_documents({}) == 1


@pytest.mark.parametrize(
    "bad_id", ["nonsense", global_id("Product", "123"), global_id("User", "0" * 24)]
)
async def test_adjust_stock_with_a_bad_id_is_invalid(db, as_admin, mug, bad_id):
    payload = await adjust(as_admin, bad_id, 1)

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["productId"], "INVALID")]
    assert await stored(db, mug) == mug
    assert await movements(db) == []


@pytest.mark.parametrize(
    ("delta", "reason", "fields"),
    [
        (0, "count", ["delta"]),
        (MAX_STOCK + 1, "count", ["delta"]),
        (-MAX_STOCK - 1, "count", ["delta"]),
        (1, "", ["reason"]),
        (1, "   ", ["reason"]),
        (1, "r" * 201, ["reason"]),
        (0, "", ["delta", "reason"]),
    ],
)
async def test_adjust_stock_refuses_an_invalid_delta_or_reason(
    db, as_admin, mug, delta, reason, fields
):
    payload = await adjust(as_admin, mug, delta, reason)

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error([f], "INVALID") for f in fields]
    assert await stored(db, mug) == mug
    assert await movements(db) == []


async def test_adjust_stock_accepts_a_reason_of_200_characters(db, as_admin, mug):
    payload = await adjust(as_admin, mug, 1, "r" * 200)

    assert payload["userErrors"] == []
    assert (await movements(db))[0]["reason"] == "r" * 200


async def test_adjust_stock_keeps_the_stock_within_the_range_the_api_allows(db, as_admin, mug):
    """createProduct/updateProduct cap stock at 1e9; adjustStock must not go past it either
    (3e9 no longer fits GraphQL's Int, so the product could not even be read back)."""
    full = product_document(sku="FULL-1", stock=MAX_STOCK)
    await db.products.insert_one(full)

    payload = await adjust(as_admin, full, 1)

    assert payload["product"] is None
    assert [e["field"] for e in payload["userErrors"]] == [["delta"]]
    assert (await stored(db, full))["stock"] == MAX_STOCK
    assert await movements(db) == []
