"""updateProduct: the given fields change, bad values are refused, `updatedAt` moves on."""

from datetime import datetime
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.datasources.client import Datasources
from shopgraph.datasources.products import SkuTaken
from tests.factories import global_id, product_document
from tests.helpers import UPDATE_PRODUCT as UPDATE
from tests.helpers import error, gid, movements, stored, without_messages


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_update_changes_only_the_given_fields(db, as_admin, mug):
    payload = (await as_admin(UPDATE, {"id": gid(mug), "input": {"name": "  Big mug "}}))[
        "updateProduct"
    ]

    assert payload["userErrors"] == []
    assert payload["product"]["name"] == "Big mug"
    assert payload["product"]["category"] == "kitchen"
    assert payload["product"]["price"] == {"amount": "12.50", "currency": "USD"}
    after = await stored(db, mug)
    changed = {key for key in after if after[key] != mug[key]}
    assert changed == {"name", "updatedAt"}
    assert after["name"] == "Big mug"
    assert parse_time(payload["product"]["updatedAt"]) > mug["updatedAt"]
    assert await movements(db) == []


async def test_update_of_every_field(db, as_admin, admin, mug):
    payload = (
        await as_admin(
            UPDATE,
            {
                "id": gid(mug),
                "input": {
                    "sku": "MUG-2",
                    "name": "Cup",
                    "description": "Small",
                    "price": 7,
                    "stock": 2,
                    "category": "cups",
                    "tags": ["new", "new"],
                    "active": False,
                    "expectedStock": 5,
                },
            },
        )
    )["updateProduct"]

    assert payload["userErrors"] == []
    after = await stored(db, mug)
    assert {key: after[key] for key in ("sku", "name", "description", "price", "stock")} == {
        "sku": "MUG-2",
        "name": "Cup",
        "description": "Small",
        "price": 700,
        "stock": 2,
    }
    assert (after["category"], after["tags"]) == ("cups", ["new"])
    assert after["active"] in (False, 0)
    assert after["createdAt"] == mug["createdAt"]
    assert payload["product"]["active"] is False
    assert payload["product"]["stock"] == 2
    [movement] = await movements(db)
    assert movement["productId"] == mug["_id"]
    assert (movement["delta"], movement["stockAfter"], movement["reason"]) == (
        -3,
        2,
        "updateProduct",
    )
    assert movement["userId"] == admin.id


async def test_update_to_the_same_stock_records_no_movement(db, as_admin, mug):
    payload = (await as_admin(UPDATE, {"id": gid(mug), "input": {"stock": 5, "expectedStock": 5}}))[
        "updateProduct"
    ]

    assert payload["userErrors"] == []
    assert await movements(db) == []


async def test_update_with_an_empty_input_changes_nothing_but_updated_at(db, as_admin, mug):
    payload = (await as_admin(UPDATE, {"id": gid(mug), "input": {}}))["updateProduct"]

    assert payload["userErrors"] == []
    after = await stored(db, mug)
    assert {key for key in after if after[key] != mug[key]} <= {"updatedAt"}


async def test_update_with_category_null_clears_it_and_omitting_it_keeps_it(db, as_admin, mug):
    kept = (await as_admin(UPDATE, {"id": gid(mug), "input": {"name": "Mug"}}))["updateProduct"]
    assert kept["product"]["category"] == "kitchen"
    assert (await stored(db, mug))["category"] == "kitchen"

    cleared = (await as_admin(UPDATE, {"id": gid(mug), "input": {"category": None}}))[
        "updateProduct"
    ]

    assert cleared["userErrors"] == []
    assert cleared["product"]["category"] is None
    assert (await stored(db, mug))["category"] is None
    refetched = await as_admin(
        "query P($id: ID) { product(id: $id) { category } }", {"id": gid(mug)}
    )
    assert refetched == {"product": {"category": None}}


@pytest.mark.parametrize(
    "field", ["sku", "name", "description", "price", "stock", "tags", "active"]
)
async def test_update_with_null_for_a_required_field_is_invalid(db, as_admin, mug, field):
    payload = (await as_admin(UPDATE, {"id": gid(mug), "input": {field: None}}))["updateProduct"]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", field], "INVALID")]
    assert await stored(db, mug) == mug


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku", "bad sku"),
        ("name", " "),
        ("price", "0.999"),
        ("stock", -1),
        ("tags", ["x" * 51]),
        ("category", "c" * 101),
        ("description", "d" * 10_001),
    ],
)
async def test_update_refuses_invalid_values_and_changes_nothing(db, as_admin, mug, field, value):
    given = {"name": "New", field: value}
    if field == "stock":
        given["expectedStock"] = 5
    payload = (await as_admin(UPDATE, {"id": gid(mug), "input": given}))["updateProduct"]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", field], "INVALID")]
    assert await stored(db, mug) == mug
    assert await movements(db) == []


async def test_update_to_another_products_sku_already_exists(db, as_admin, mug):
    plate = product_document(sku="PLATE-1")
    await db.products.insert_one(plate)

    given = {"sku": "MUG-1", "stock": 1, "expectedStock": 10}
    payload = (await as_admin(UPDATE, {"id": gid(plate), "input": given}))["updateProduct"]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", "sku"], "ALREADY_EXISTS")]
    assert await stored(db, plate) == plate
    assert await stored(db, mug) == mug
    assert await movements(db) == []


async def test_the_store_reports_a_taken_sku_not_a_missing_product(db, mug):
    """Some servers answer a unique-key violation of findAndModify with "no document"
    (the embedded one): the product is there, so the SKU was taken."""
    plate = product_document(sku="PLATE-1")
    await db.products.insert_one(plate)
    products = Datasources.for_database(db).products

    with pytest.raises(SkuTaken):
        await products.update(plate["_id"], {"sku": "MUG-1"})

    assert await stored(db, plate) == plate


async def test_update_to_its_own_sku_is_fine(db, as_admin, mug):
    payload = (await as_admin(UPDATE, {"id": gid(mug), "input": {"sku": "MUG-1"}}))["updateProduct"]

    assert payload["userErrors"] == []
    assert payload["product"]["sku"] == "MUG-1"


async def test_update_of_no_such_product_is_not_found(db, as_admin, mug):
    payload = (
        await as_admin(UPDATE, {"id": global_id("Product", ObjectId()), "input": {"name": "X"}})
    )["updateProduct"]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["id"], "NOT_FOUND")]
    assert await db.products.count_documents({}) == 1
    assert await stored(db, mug) == mug


@pytest.mark.parametrize(
    "bad_id",
    ["nonsense", "", global_id("Product", "123"), global_id("User", "0" * 24)],
    ids=["not-base64", "empty", "bad-object-id", "a-user-id"],
)
async def test_update_with_a_bad_id_is_invalid(db, as_admin, mug, bad_id):
    payload = (await as_admin(UPDATE, {"id": bad_id, "input": {"name": "X"}}))["updateProduct"]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["id"], "INVALID")]
    assert await stored(db, mug) == mug


UPDATED_AT = """query U($id: ID) {
  product(id: $id) { createdAt updatedAt }
  products(first: 10) { edges { node { updatedAt } } }
}"""


async def assert_updated_at_moved_on(db, as_admin, document: dict[str, Any]) -> None:
    """`updatedAt` is stored as a date, later than before, and reads back through the API."""
    after = await stored(db, document)
    assert isinstance(after["updatedAt"], datetime), after["updatedAt"]
    assert after["updatedAt"] > document["updatedAt"]
    read = await as_admin(UPDATED_AT, {"id": gid(document)})
    assert parse_time(read["product"]["updatedAt"]) > parse_time(read["product"]["createdAt"])
    assert [edge["node"]["updatedAt"] for edge in read["products"]["edges"]] == [
        read["product"]["updatedAt"]
    ]


async def test_update_moves_updated_at_on(db, as_admin, mug):
    await as_admin(UPDATE, {"id": gid(mug), "input": {"name": "Big mug"}})

    await assert_updated_at_moved_on(db, as_admin, mug)


async def test_adjust_stock_moves_updated_at_on(db, as_admin, mug):
    payload = (
        await as_admin(
            """mutation A($id: ID!) {
              adjustStock(productId: $id, delta: 1, reason: "count") {
                product { updatedAt } userErrors { code }
              }
            }""",
            {"id": gid(mug)},
        )
    )["adjustStock"]

    assert payload["userErrors"] == []
    assert parse_time(payload["product"]["updatedAt"]) > mug["updatedAt"]
    await assert_updated_at_moved_on(db, as_admin, mug)
