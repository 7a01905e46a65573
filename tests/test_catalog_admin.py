"""The admin catalog mutations: createProduct, updateProduct, deleteProduct, adjustStock.

Each checks what the API answers and what the database then holds; stock changes leave a
trail in `stock_movements`, and concurrent adjustments never oversell.
"""

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from tests.factories import global_id, product_document

MAX_STOCK = 1_000_000_000

PRODUCT = """
  id sku name description price { amount currency } stock inStock category tags active
  createdAt updatedAt
"""
CREATE = f"""mutation Create($input: ProductCreateInput!) {{
  createProduct(input: $input) {{ product {{ {PRODUCT} }} userErrors {{ field message code }} }}
}}"""
UPDATE = f"""mutation Update($id: ID!, $input: ProductUpdateInput!) {{
  updateProduct(id: $id, input: $input) {{
    product {{ {PRODUCT} }} userErrors {{ field message code }}
  }}
}}"""
DELETE = """mutation Delete($id: ID!) {
  deleteProduct(id: $id) { deletedId userErrors { field message code } }
}"""
ADJUST = """mutation Adjust($productId: ID!, $delta: Int!, $reason: String!) {
  adjustStock(productId: $productId, delta: $delta, reason: $reason) {
    product { id stock inStock } userErrors { field message code }
  }
}"""


@pytest.fixture
def as_admin(gql, admin):
    """`await as_admin(query, variables)`: the body of a request with the admin's token."""

    async def run(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await gql(query, variables, headers=admin.headers)
        assert "errors" not in body, body
        return body["data"]

    return run


async def stored(db, document_or_id: Any) -> dict[str, Any] | None:
    _id = document_or_id["_id"] if isinstance(document_or_id, dict) else document_or_id
    return await db.products.find_one({"_id": _id})


async def movements(db) -> list[dict[str, Any]]:
    return await db.stock_movements.find({}).sort("_id", 1).to_list()


def error(field: list[str] | None, code: str) -> dict[str, Any]:
    """A userError without its message, to compare with `without_messages(...)`."""
    return {"field": field, "code": code}


def without_messages(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for entry in errors:
        assert entry["message"], entry
    return [{"field": entry["field"], "code": entry["code"]} for entry in errors]


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
async def mug(db) -> dict[str, Any]:
    document = product_document(
        sku="MUG-1",
        name="Mug",
        description="A big mug",
        price=1250,
        stock=5,
        category="kitchen",
        tags=["eco", "sale"],
    )
    await db.products.insert_one(document)
    return document


def gid(document: dict[str, Any]) -> str:
    return global_id("Product", document["_id"])


# --- createProduct ------------------------------------------------------------------------------


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


VALID = {"sku": "OK-1", "name": "Fine", "price": "1.00"}


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


# --- updateProduct ------------------------------------------------------------------------------


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
    payload = (await as_admin(UPDATE, {"id": gid(mug), "input": {"stock": 5}}))["updateProduct"]

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
    payload = (await as_admin(UPDATE, {"id": gid(mug), "input": {"name": "New", field: value}}))[
        "updateProduct"
    ]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", field], "INVALID")]
    assert await stored(db, mug) == mug
    assert await movements(db) == []


async def test_update_to_another_products_sku_already_exists(db, as_admin, mug):
    plate = product_document(sku="PLATE-1")
    await db.products.insert_one(plate)

    payload = (await as_admin(UPDATE, {"id": gid(plate), "input": {"sku": "MUG-1", "stock": 1}}))[
        "updateProduct"
    ]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", "sku"], "ALREADY_EXISTS")]
    assert await stored(db, plate) == plate
    assert await stored(db, mug) == mug
    assert await movements(db) == []


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


# --- deleteProduct ------------------------------------------------------------------------------

LOOKUPS = """query L($id: ID, $nodeId: ID!, $sku: String) {
  byId: product(id: $id) { id }
  bySku: product(sku: $sku) { id }
  node(id: $nodeId) { id }
  products(first: 100, filter: {includeInactive: true}) { totalCount edges { node { sku } } }
}"""


async def test_delete_removes_the_product_everywhere(db, as_admin, mug):
    plate = product_document(sku="PLATE-1")
    await db.products.insert_one(plate)

    payload = (await as_admin(DELETE, {"id": gid(mug)}))["deleteProduct"]

    assert payload == {"deletedId": gid(mug), "userErrors": []}
    assert await stored(db, mug) is None
    assert await stored(db, plate) == plate
    lookups = await as_admin(LOOKUPS, {"id": gid(mug), "nodeId": gid(mug), "sku": "MUG-1"})
    assert lookups == {
        "byId": None,
        "bySku": None,
        "node": None,
        "products": {"totalCount": 1, "edges": [{"node": {"sku": "PLATE-1"}}]},
    }


async def test_a_second_delete_is_not_found(db, as_admin, mug):
    first = (await as_admin(DELETE, {"id": gid(mug)}))["deleteProduct"]
    second = (await as_admin(DELETE, {"id": gid(mug)}))["deleteProduct"]

    assert first["userErrors"] == []
    assert second["deletedId"] is None
    assert without_messages(second["userErrors"]) == [error(["id"], "NOT_FOUND")]


async def test_delete_frees_the_sku(db, as_admin, mug):
    await as_admin(DELETE, {"id": gid(mug)})

    payload = (await as_admin(CREATE, {"input": {**VALID, "sku": "MUG-1"}}))["createProduct"]

    assert payload["userErrors"] == []


@pytest.mark.parametrize(
    "bad_id", ["nonsense", global_id("Product", "123"), global_id("User", "0" * 24)]
)
async def test_delete_with_a_bad_id_is_invalid(db, as_admin, mug, bad_id):
    payload = (await as_admin(DELETE, {"id": bad_id}))["deleteProduct"]

    assert payload["deletedId"] is None
    assert without_messages(payload["userErrors"]) == [error(["id"], "INVALID")]
    assert await stored(db, mug) == mug


# --- adjustStock --------------------------------------------------------------------------------


async def adjust(as_admin, product: dict[str, Any] | str, delta: int, reason: str = "count"):
    product_id = product if isinstance(product, str) else gid(product)
    data = await as_admin(ADJUST, {"productId": product_id, "delta": delta, "reason": reason})
    return data["adjustStock"]


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


# --- concurrency --------------------------------------------------------------------------------


async def test_concurrent_removals_never_oversell(db, gql, admin, command_log):
    product = product_document(sku="HOT-1", stock=30)
    await db.products.insert_one(product)
    variables = {"productId": gid(product), "delta": -1, "reason": "order"}
    command_log.clear()

    bodies = await asyncio.gather(
        *(gql(ADJUST, variables, headers=admin.headers) for _ in range(100))
    )

    # The requests really overlapped: many conditional updates were sent before the
    # requests that sent them went on (to record the movement, or to read what is left).
    started = [
        (event.command_name, event.command.get(event.command_name))
        for event in command_log.commands
    ]
    outstanding = peak = 0
    for command in started:
        if command == ("findAndModify", "products"):
            outstanding += 1
        elif command in (("insert", "stock_movements"), ("find", "products")):
            outstanding -= 1
        peak = max(peak, outstanding)
    assert peak >= 5, f"at most {peak} adjustments were in flight at once"
    for body in bodies:
        assert "errors" not in body, body
    payloads = [body["data"]["adjustStock"] for body in bodies]
    succeeded = [p for p in payloads if p["userErrors"] == []]
    refused = [p for p in payloads if p["userErrors"]]
    assert len(succeeded) == 30
    assert len(refused) == 70
    assert all(
        [e["code"] for e in p["userErrors"]] == ["OUT_OF_STOCK"] and p["product"] is None
        for p in refused
    )
    # Each successful removal saw its own stock level, from 29 down to 0.
    assert sorted(p["product"]["stock"] for p in succeeded) == list(range(30))
    assert (await stored(db, product))["stock"] == 0
    recorded = await movements(db)
    assert len(recorded) == 30
    assert sorted(m["stockAfter"] for m in recorded) == list(range(30))
    assert {(m["delta"], m["userId"], m["productId"]) for m in recorded} == {
        (-1, admin.id, product["_id"])
    }


async def test_a_mixed_race_of_additions_and_removals_adds_up(db, gql, admin):
    start = 5
    product = product_document(sku="HOT-2", stock=start)
    await db.products.insert_one(product)
    deltas = [1] * 60 + [-1] * 60
    random.Random(20260101).shuffle(deltas)

    bodies = await asyncio.gather(
        *(
            gql(
                ADJUST,
                {"productId": gid(product), "delta": delta, "reason": "race"},
                headers=admin.headers,
            )
            for delta in deltas
        )
    )

    applied = []
    for delta, body in zip(deltas, bodies, strict=True):
        assert "errors" not in body, body
        payload = body["data"]["adjustStock"]
        if payload["userErrors"]:
            # Only a removal can fail, and only for lack of stock.
            assert delta == -1
            assert [e["code"] for e in payload["userErrors"]] == ["OUT_OF_STOCK"]
        else:
            assert payload["product"]["stock"] >= 0
            applied.append(delta)
    assert applied.count(1) == 60
    final = (await stored(db, product))["stock"]
    assert final == start + sum(applied)
    assert final >= 0
    recorded = await movements(db)
    assert len(recorded) == len(applied)
    assert sum(m["delta"] for m in recorded) == final - start
    assert min(m["stockAfter"] for m in recorded) >= 0


async def test_racing_stock_updates_and_adjustments_keep_the_movement_ledger_exact(db, as_admin):
    """Every movement records only its own change, so the ledger adds up to the stock."""
    product = product_document(sku="LEDGER-1", stock=100)
    await db.products.insert_one(product)
    product_id = gid(product)
    # Targets 1,000 apart: 30 adjustments of +1 can never bring the stock onto a target
    # before its update lands, so every update moves the stock and records a movement.
    targets = [1000 * n for n in range(1, 11)]

    await asyncio.gather(
        *(adjust(as_admin, product_id, 1) for _ in range(30)),
        *(as_admin(UPDATE, {"id": product_id, "input": {"stock": t}}) for t in targets),
    )

    final = (await stored(db, product))["stock"]
    ledger = [m for m in await movements(db) if m["productId"] == product["_id"]]
    assert len(ledger) == 40
    assert sum(m["delta"] for m in ledger) == final - 100
