"""createProduct: defaults, normalised fields, the limits of each field, taken SKUs."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import CREATE_PRODUCT as CREATE
from tests.helpers import MAX_STOCK, error, gid, movements, without_messages
from tests.helpers import VALID_PRODUCT as VALID


async def test_create_with_only_the_required_fields_takes_the_defaults(db, as_admin):
    started = datetime.now(UTC)

    payload = (
        await as_admin(CREATE, {"input": {"sku": "MUG-1", "name": "Mug", "price": "12.50"}})
    )["createProduct"]

    assert payload["userErrors"] == []
    product = payload["product"]
    document = await db.products.find_one({"sku": "MUG-1"})
    assert document is not None
    assert product.pop("createdAt") and product.pop("updatedAt")
    assert product == {
        "id": gid(document),
        "sku": "MUG-1",
        "name": "Mug",
        "description": "",
        "price": {"amount": "12.50", "currency": "USD"},
        "stock": 0,
        "inStock": False,
        "category": None,
        "tags": [],
        "active": True,
    }
    assert {
        key: document[key] for key in document if key not in ("_id", "createdAt", "updatedAt")
    } == {
        "sku": "MUG-1",
        "name": "Mug",
        "description": "",
        "price": 1250,
        "stock": 0,
        "category": None,
        "tags": [],
        "active": True,
        # One variant, the product's own: its stock of record stays `stock`.
        "options": [],
        "variants": [
            {"_id": document["_id"], "sku": "MUG-1", "price": 1250, "selectedOptions": []}
        ],
    }
    # MongoDB keeps milliseconds.
    assert started - timedelta(milliseconds=1) <= document["createdAt"]
    assert document["createdAt"] <= datetime.now(UTC)
    assert document["updatedAt"] == document["createdAt"]
    # No stock, no movement.
    assert await movements(db) == []


async def test_create_with_every_field_normalizes_and_records_the_initial_stock(
    db, as_admin, admin
):
    payload = (
        await as_admin(
            CREATE,
            {
                "input": {
                    "sku": "  TEE-blue_M.2  ",
                    "name": "  Blue tee  ",
                    "description": "  Soft cotton.  ",
                    "price": "19.9",
                    "stock": 7,
                    "category": "  apparel ",
                    "tags": [" cotton", "blue", "cotton ", "blue"],
                    "active": False,
                }
            },
        )
    )["createProduct"]

    assert payload["userErrors"] == []
    document = await db.products.find_one({})
    assert document is not None
    assert document["sku"] == "TEE-blue_M.2"
    assert document["name"] == "Blue tee"
    assert document["description"] == "  Soft cotton.  "
    assert document["price"] == 1990
    assert document["stock"] == 7
    assert document["category"] == "apparel"
    assert document["tags"] == ["cotton", "blue"]
    assert document["active"] in (False, 0)
    product = payload["product"]
    assert product["price"] == {"amount": "19.90", "currency": "USD"}
    assert (product["active"], product["inStock"], product["tags"]) == (
        False,
        True,
        ["cotton", "blue"],
    )
    [movement] = await movements(db)
    assert movement["productId"] == document["_id"]
    assert (movement["delta"], movement["stockAfter"], movement["reason"]) == (7, 7, "created")
    assert movement["userId"] == admin.id
    assert isinstance(movement["at"], datetime)


@pytest.mark.parametrize(
    ("price", "cents"),
    [("0", 0), ("0.01", 1), ("10", 1000), (12.5, 1250), (19.99, 1999), (3, 300), ("1e2", 10000)],
)
async def test_create_accepts_prices_as_strings_or_numbers(db, as_admin, price, cents):
    payload = (await as_admin(CREATE, {"input": {"sku": "P-1", "name": "P", "price": price}}))[
        "createProduct"
    ]

    assert payload["userErrors"] == []
    assert (await db.products.find_one({"sku": "P-1"}))["price"] == cents


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku", ""),
        ("sku", "   "),
        ("sku", "-starts-with-dash"),
        ("sku", ".starts-with-dot"),
        ("sku", "_underscore"),
        ("sku", "A" * 65),
        ("sku", "has space"),
        ("sku", "slash/no"),
        ("sku", "caf\u00e9"),
        ("sku", "line\nbreak"),
        ("name", ""),
        ("name", "   "),
        ("name", "n" * 201),
        ("description", "d" * 10_001),
        ("price", "-0.01"),
        ("price", -1),
        ("price", "1.234"),
        ("price", "0.001"),
        ("price", 0.005),
        ("stock", -1),
        ("stock", MAX_STOCK + 1),
        ("tags", [f"tag{n}" for n in range(21)]),
        ("tags", ["ok", ""]),
        ("tags", ["ok", "   "]),
        ("tags", ["t" * 51]),
        ("category", "c" * 101),
    ],
)
async def test_create_refuses_invalid_fields(db, as_admin, field, value):
    payload = (await as_admin(CREATE, {"input": {**VALID, field: value}}))["createProduct"]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", field], "INVALID")]
    assert await db.products.count_documents({}) == 0
    assert await movements(db) == []


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        ("sku", "A" * 64, "A" * 64),
        ("sku", "9", "9"),
        ("sku", "a.b_c-D9", "a.b_c-D9"),
        ("name", "n" * 200, "n" * 200),
        ("name", "  " + "n" * 200 + "  ", "n" * 200),
        ("description", "d" * 10_000, "d" * 10_000),
        ("stock", MAX_STOCK, MAX_STOCK),
        ("tags", [f"tag{n}" for n in range(20)], [f"tag{n}" for n in range(20)]),
        # 21 given, 20 once duplicates are merged.
        ("tags", [f"tag{n}" for n in range(20)] + ["tag0 "], [f"tag{n}" for n in range(20)]),
        ("tags", ["  " + "t" * 50 + " "], ["t" * 50]),
        ("category", "c" * 100, "c" * 100),
        ("category", "   ", None),
    ],
)
async def test_create_accepts_fields_at_their_limits(db, as_admin, field, value, kept):
    payload = (await as_admin(CREATE, {"input": {**VALID, field: value}}))["createProduct"]

    assert payload["userErrors"] == []
    document = await db.products.find_one({})
    assert document[field] == kept


async def test_create_reports_every_invalid_field_at_once(db, as_admin):
    payload = (
        await as_admin(
            CREATE,
            {"input": {"sku": "-", "name": "", "price": "-1", "stock": -5, "tags": [""]}},
        )
    )["createProduct"]

    assert payload["product"] is None
    assert sorted(e["field"][1] for e in payload["userErrors"]) == [
        "name",
        "price",
        "sku",
        "stock",
        "tags",
    ]
    assert {e["code"] for e in payload["userErrors"]} == {"INVALID"}
    assert await db.products.count_documents({}) == 0


async def test_create_refuses_a_sku_that_exists(db, as_admin, mug):
    payload = (await as_admin(CREATE, {"input": {**VALID, "sku": "MUG-1", "stock": 3}}))[
        "createProduct"
    ]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", "sku"], "ALREADY_EXISTS")]
    assert "MUG-1" in payload["userErrors"][0]["message"]
    assert await db.products.count_documents({}) == 1
    assert await movements(db) == []


async def test_create_of_one_sku_by_concurrent_admins_has_one_winner(db, as_admin):
    results = await asyncio.gather(
        *(
            as_admin(CREATE, {"input": {**VALID, "sku": "RACE-1", "name": f"Racer {n}"}})
            for n in range(10)
        )
    )

    codes = sorted(
        tuple(e["code"] for e in result["createProduct"]["userErrors"]) for result in results
    )
    assert codes == [()] + [("ALREADY_EXISTS",)] * 9
    assert await db.products.count_documents({"sku": "RACE-1"}) == 1


async def test_create_with_a_malformed_price_is_a_graphql_error(db, gql, admin):
    body = await gql(CREATE, {"input": {**VALID, "price": "twelve"}}, headers=admin.headers)

    assert body.get("data") is None
    assert "Internal server error" not in body["errors"][0]["message"]
    assert await db.products.count_documents({}) == 0
