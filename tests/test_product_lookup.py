"""`product(id:|sku:)` and `node(id:)`: lookups, refused IDs, hidden products, batching."""

import base64
from typing import Any

import pytest
from bson import ObjectId

from tests.factories import global_id, product_document
from tests.helpers import assert_refused
from tests.helpers import post_json as post

PRODUCT_FIELDS = """
  id sku name description price { amount currency } stock inStock category tags active
"""
BY_ID = f"query ById($id: ID) {{ product(id: $id) {{ {PRODUCT_FIELDS} }} }}"
BY_SKU = f"query BySku($sku: String) {{ product(sku: $sku) {{ {PRODUCT_FIELDS} }} }}"
NODE = "query Node($id: ID!) { node(id: $id) { __typename id ... on Product { sku } } }"
NODE_FULL = f"query Node($id: ID!) {{ node(id: $id) {{ ... on Product {{ {PRODUCT_FIELDS} }} }} }}"


def assert_bad_user_input(body: dict[str, Any], field: str, *fragments: str) -> None:
    """`field` is null with one client error, coded BAD_USER_INPUT, naming what is wrong."""
    assert_refused(body, field, "BAD_USER_INPUT", {field: None}, fragments=fragments)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def expected_product(document: dict[str, Any]) -> dict[str, Any]:
    """The API's view of a stored product (USD, prices in cents)."""
    return {
        "id": global_id("Product", document["_id"]),
        "sku": document["sku"],
        "name": document["name"],
        "description": document.get("description", ""),
        "price": {"amount": f"{document['price'] / 100:.2f}", "currency": "USD"},
        "stock": document["stock"],
        "inStock": document["stock"] > 0,
        "category": document.get("category"),
        "tags": document.get("tags", []),
        "active": document.get("active", True),
    }


@pytest.fixture
async def catalog(db) -> dict[str, dict[str, Any]]:
    """Three visible products and an inactive one, by SKU."""
    documents = {
        "MUG-1": product_document(
            sku="MUG-1",
            name="Mug",
            description="A big mug",
            price=1250,
            stock=3,
            category="kitchen",
            tags=["eco", "sale"],
        ),
        "PLATE-1": product_document(sku="PLATE-1", name="Plate", price=800, stock=0),
        "BOWL-1": product_document(sku="BOWL-1", name="Bowl", price=1, category=None),
        "OLD-1": product_document(sku="OLD-1", name="Old mug", active=False),
    }
    await db.products.insert_many(list(documents.values()))
    return documents


# --- product(id:) and product(sku:) -----------------------------------------------------


@pytest.mark.parametrize("sku", ["MUG-1", "PLATE-1", "BOWL-1"])
async def test_product_by_id_returns_that_product(catalog, client, sku):
    document = catalog[sku]

    body = await post(client, BY_ID, {"id": global_id("Product", document["_id"])})

    assert body == {"data": {"product": expected_product(document)}}


@pytest.mark.parametrize("sku", ["MUG-1", "PLATE-1", "BOWL-1"])
async def test_product_by_sku_returns_that_product(catalog, client, sku):
    body = await post(client, BY_SKU, {"sku": sku})

    assert body == {"data": {"product": expected_product(catalog[sku])}}


async def test_product_by_id_with_literal_arguments(catalog, client):
    mug = catalog["MUG-1"]
    query = f"""{{
      byId: product(id: "{global_id("Product", mug["_id"])}") {{ sku price {{ amount }} }}
      bySku: product(sku: "MUG-1") {{ sku price {{ amount }} }}
    }}"""

    body = await post(client, query)

    expected = {"sku": "MUG-1", "price": {"amount": "12.50"}}
    assert body == {"data": {"byId": expected, "bySku": expected}}


async def test_product_id_round_trips_through_product_and_node(catalog, client):
    listing = await post(client, "{ products { edges { node { id sku } } } }")
    assert "errors" not in listing, listing
    ids = {edge["node"]["sku"]: edge["node"]["id"] for edge in listing["data"]["products"]["edges"]}
    assert set(ids) == {"MUG-1", "PLATE-1", "BOWL-1"}

    for sku, id_ in ids.items():
        assert id_ == global_id("Product", catalog[sku]["_id"])
        by_id = await post(client, "query($id: ID) { product(id: $id) { sku } }", {"id": id_})
        assert by_id == {"data": {"product": {"sku": sku}}}
        node = await post(client, NODE, {"id": id_})
        assert node == {"data": {"node": {"__typename": "Product", "id": id_, "sku": sku}}}


async def test_unknown_id_or_sku_is_null_without_error(catalog, client):
    by_id = await post(client, BY_ID, {"id": global_id("Product", ObjectId())})
    by_sku = await post(client, BY_SKU, {"sku": "NOPE-1"})
    by_prefix = await post(client, BY_SKU, {"sku": "MUG"})
    by_pattern = await post(client, BY_SKU, {"sku": "MUG-."})

    assert by_id == {"data": {"product": None}}
    assert by_sku == {"data": {"product": None}}
    assert by_prefix == {"data": {"product": None}}
    assert by_pattern == {"data": {"product": None}}


ONE_OF_CASES = {
    "no-args": ("{ product { sku } }", None),
    "null-id": ("{ product(id: null) { sku } }", None),
    "null-sku": ("{ product(sku: null) { sku } }", None),
    "both-null": ("{ product(id: null, sku: null) { sku } }", None),
    "both-null-variables": (
        "query($id: ID, $sku: String) { product(id: $id, sku: $sku) { sku } }",
        {"id": None, "sku": None},
    ),
    "variables-absent": (
        "query($id: ID, $sku: String) { product(id: $id, sku: $sku) { sku } }",
        {},
    ),
    "both-given": (
        "query($id: ID, $sku: String) { product(id: $id, sku: $sku) { sku } }",
        {"id": "MUG-1", "sku": "MUG-1"},
    ),
    "both-given-different": (
        "query($id: ID, $sku: String) { product(id: $id, sku: $sku) { sku } }",
        {"id": "MUG-1", "sku": "PLATE-1"},
    ),
}


@pytest.mark.parametrize("case", list(ONE_OF_CASES))
async def test_product_needs_exactly_one_of_id_and_sku(catalog, client, case):
    query, variables = ONE_OF_CASES[case]
    if variables and "id" in variables and variables["id"] is not None:
        variables = {**variables, "id": global_id("Product", catalog[variables["id"]]["_id"])}

    body = await post(client, query, variables)

    assert_bad_user_input(body, "product", "exactly one", "`id`", "`sku`")


HEX = "65a1b2c3d4e5f60718293a4b"


@pytest.mark.parametrize(
    ("raw_id", "fragments"),
    [
        ("not-base64!!", ("Invalid Product ID", "not a global ID")),
        ("", ("Invalid Product ID", "not a global ID")),
        (HEX, ("Invalid Product ID", "not a global ID")),
        (b64(f"Product{HEX}"), ("Invalid Product ID", "not a global ID")),
        (b64(f"User:{HEX}"), ("Invalid Product ID", "User")),
        (b64(f"product:{HEX}"), ("Invalid Product ID", "product")),
        (b64(f"Money:{HEX}"), ("Invalid Product ID", "Money")),
        (b64(f":{HEX}"), ("Invalid Product ID",)),
        (b64("Product:"), ("Invalid Product ID",)),
        (b64("Product:xyz"), ("Invalid Product ID",)),
        (b64(f"Product:{HEX[:-1]}"), ("Invalid Product ID",)),
        (b64(f"Product:{HEX}0"), ("Invalid Product ID",)),
        (b64(f"Product:{HEX[:-1]}g"), ("Invalid Product ID",)),
        (b64(f"Product:{HEX}:extra"), ("Invalid Product ID",)),
        (b64("Product:abcdefghijkl"), ("Invalid Product ID",)),
    ],
    ids=[
        "not-base64",
        "empty",
        "raw-object-id",
        "no-colon",
        "other-type",
        "lowercase-type",
        "non-node-type",
        "no-type",
        "no-object-id",
        "object-id-not-hex",
        "object-id-too-short",
        "object-id-too-long",
        "object-id-bad-char",
        "trailing-part",
        "twelve-characters",
    ],
)
async def test_product_refuses_ids_that_are_not_product_ids(catalog, client, raw_id, fragments):
    body = await post(client, "query($id: ID) { product(id: $id) { sku } }", {"id": raw_id})

    assert_bad_user_input(body, "product", *fragments)


async def test_product_refuses_the_id_of_another_type_even_if_the_object_exists(catalog, client):
    mug_id = catalog["MUG-1"]["_id"]

    body = await post(client, BY_ID, {"id": global_id("User", mug_id)})

    assert_bad_user_input(body, "product", "Invalid Product ID", "User")


@pytest.mark.parametrize(
    "query",
    [
        "{ product(sku: 5) { sku } }",
        "{ product(sku: MUG) { sku } }",
        "{ product(id: 1.5) { sku } }",
        "{ product(id: true) { sku } }",
        '{ product(sku: ["MUG-1"]) { sku } }',
        "{ node { id } }",
        "{ node(id: null) { id } }",
        '{ node(id: "x") }',
        '{ product(sku: "MUG-1") { nope } }',
    ],
)
async def test_wrong_argument_types_are_validation_errors(catalog, client, query):
    body = await post(client, query)

    assert body.get("data") is None, body
    assert body["errors"], body
    for error in body["errors"]:
        assert "path" not in error, error
        assert "Internal server error" not in error["message"], error


# --- node(id:) --------------------------------------------------------------------------


async def test_node_refetches_a_product(catalog, client):
    mug = catalog["MUG-1"]

    body = await post(client, NODE_FULL, {"id": global_id("Product", mug["_id"])})

    assert body == {"data": {"node": expected_product(mug)}}


async def test_node_of_unknown_product_is_null_without_error(catalog, client):
    body = await post(client, NODE, {"id": global_id("Product", ObjectId())})

    assert body == {"data": {"node": None}}


@pytest.mark.parametrize(
    "raw_id",
    [
        b64("Product:xyz"),
        b64("Product:"),
        b64(f"Product:{HEX[:-1]}"),
        b64(f"Product:{HEX}:extra"),
    ],
    ids=["not-hex", "empty", "too-short", "trailing-part"],
)
async def test_node_refuses_an_invalid_object_id(catalog, client, raw_id):
    body = await post(client, NODE, {"id": raw_id})

    assert_bad_user_input(body, "node", "Invalid Product ID")


@pytest.mark.parametrize(
    "raw_id",
    ["not-base64!!", "", HEX, b64(f"Product{HEX}")],
    ids=["not-base64", "empty", "raw-object-id", "no-colon"],
)
async def test_node_refuses_a_malformed_id_clearly(catalog, client, raw_id):
    body = await post(client, NODE, {"id": raw_id})

    assert_bad_user_input(body, "node", "ID")


@pytest.mark.parametrize("type_name", ["Frobnicator", "product", "Money", "Query"])
async def test_node_refuses_an_id_of_an_unknown_type_clearly(catalog, client, type_name):
    body = await post(client, NODE, {"id": global_id(type_name, catalog["MUG-1"]["_id"])})

    assert_bad_user_input(body, "node", type_name)


# --- inactive and missing fields --------------------------------------------------------


async def test_inactive_product_is_invisible_everywhere(catalog, client):
    old = catalog["OLD-1"]
    old_id = global_id("Product", old["_id"])

    by_id = await post(client, BY_ID, {"id": old_id})
    by_sku = await post(client, BY_SKU, {"sku": "OLD-1"})
    node = await post(client, NODE_FULL, {"id": old_id})
    listing = await post(client, "{ products { totalCount edges { node { sku } } } }")

    assert by_id == {"data": {"product": None}}
    assert by_sku == {"data": {"product": None}}
    assert node == {"data": {"node": None}}
    assert listing == {
        "data": {
            "products": {
                "totalCount": 3,
                "edges": [{"node": {"sku": sku}} for sku in ("BOWL-1", "PLATE-1", "MUG-1")],
            }
        }
    }


@pytest.mark.parametrize(
    "selection", ["sku", "id", "__typename", "active", "name price { amount }"]
)
async def test_inactive_product_is_null_whatever_the_selection(catalog, client, selection):
    old_id = global_id("Product", catalog["OLD-1"]["_id"])
    query = f"""query($id: ID!, $sku: String) {{
      byId: product(id: $id) {{ {selection} }}
      bySku: product(sku: $sku) {{ {selection} }}
      node(id: $id) {{ ... on Product {{ {selection} }} }}
    }}"""

    body = await post(client, query, {"id": old_id, "sku": "OLD-1"})

    assert body == {"data": {"byId": None, "bySku": None, "node": None}}


async def test_product_written_without_optional_fields_gets_defaults(db, client):
    bare = product_document(sku="BARE-1", name="Bare", price=999, stock=0)
    for field in ("active", "description", "tags"):
        del bare[field]
    await db.products.insert_one(bare)
    bare_id = global_id("Product", bare["_id"])
    expected = {**expected_product(bare), "description": "", "tags": [], "active": True}

    by_id = await post(client, BY_ID, {"id": bare_id})
    by_sku = await post(client, BY_SKU, {"sku": "BARE-1"})
    node = await post(client, NODE_FULL, {"id": bare_id})

    assert by_id == {"data": {"product": expected}}
    assert by_sku == {"data": {"product": expected}}
    assert node == {"data": {"node": expected}}


@pytest.mark.parametrize("selection", ["sku", "active", "description", "tags"])
async def test_product_without_active_field_is_visible_whatever_the_selection(
    db, client, selection
):
    bare = product_document(sku="BARE-2")
    del bare["active"]
    await db.products.insert_one(bare)
    bare_id = global_id("Product", bare["_id"])
    query = f"""query($id: ID!) {{
      byId: product(id: $id) {{ {selection} }}
      bySku: product(sku: "BARE-2") {{ {selection} }}
      node(id: $id) {{ ... on Product {{ {selection} }} }}
    }}"""

    body = await post(client, query, {"id": bare_id})

    value = expected_product(bare)[selection]
    expected = {selection: value}
    assert body == {"data": {"byId": expected, "bySku": expected, "node": expected}}


# --- batching ---------------------------------------------------------------------------


async def test_aliased_node_lookups_are_answered_each_with_its_product(db, client):
    documents = [product_document(sku=f"BATCH-{i}", price=100 * (i + 1)) for i in range(5)]
    await db.products.insert_many(documents)
    variables = {f"id{i}": global_id("Product", doc["_id"]) for i, doc in enumerate(documents)}
    definitions = ", ".join(f"$id{i}: ID!" for i in range(5))
    aliases = "\n".join(
        f"n{i}: node(id: $id{i}) {{ id ... on Product {{ sku price {{ amount }} }} }}"
        for i in range(5)
    )

    body = await post(client, f"query({definitions}) {{ {aliases} }}", variables)

    assert body == {
        "data": {
            f"n{i}": {
                "id": variables[f"id{i}"],
                "sku": f"BATCH-{i}",
                "price": {"amount": f"{i + 1}.00"},
            }
            for i in range(5)
        }
    }


async def test_batched_lookups_keep_order_nulls_and_each_selection(catalog, client):
    mug, plate, bowl, old = (catalog[s] for s in ("MUG-1", "PLATE-1", "BOWL-1", "OLD-1"))
    gid = {name: global_id("Product", doc["_id"]) for name, doc in catalog.items()}
    unknown = global_id("Product", ObjectId())
    query = f"""{{
      a: node(id: "{gid["BOWL-1"]}") {{ ... on Product {{ name }} }}
      b: node(id: "{unknown}") {{ ... on Product {{ sku }} }}
      c: node(id: "{gid["MUG-1"]}") {{ ... on Product {{ tags category }} }}
      d: node(id: "{gid["OLD-1"]}") {{ ... on Product {{ sku }} }}
      e: node(id: "{gid["PLATE-1"]}") {{ ... on Product {{ price {{ amount }} stock }} }}
      f: node(id: "{gid["MUG-1"]}") {{ ... on Product {{ sku }} }}
      g: product(id: "{gid["PLATE-1"]}") {{ name }}
      h: product(id: "{gid["OLD-1"]}") {{ name }}
      i: product(id: "{gid["BOWL-1"]}") {{ sku description }}
    }}"""

    body = await post(client, query)

    assert body == {
        "data": {
            "a": {"name": bowl["name"]},
            "b": None,
            "c": {"tags": mug["tags"], "category": "kitchen"},
            "d": None,
            "e": {"price": {"amount": "8.00"}, "stock": 0},
            "f": {"sku": "MUG-1"},
            "g": {"name": plate["name"]},
            "h": None,
            "i": {"sku": "BOWL-1", "description": bowl["description"]},
        }
    }
    assert old["active"] is False


async def test_one_bad_id_in_a_batch_does_not_spoil_the_others(catalog, client):
    gid = global_id("Product", catalog["MUG-1"]["_id"])
    query = f"""{{
      good: node(id: "{gid}") {{ ... on Product {{ sku }} }}
      bad: node(id: "{b64("Product:xyz")}") {{ ... on Product {{ sku }} }}
      alsoGood: product(id: "{gid}") {{ sku }}
      alsoBad: product(id: "{b64("Product:xyz")}") {{ sku }}
    }}"""

    body = await post(client, query)

    assert body["data"] == {
        "good": {"sku": "MUG-1"},
        "bad": None,
        "alsoGood": {"sku": "MUG-1"},
        "alsoBad": None,
    }
    errors = sorted(body["errors"], key=lambda error: error["path"])
    assert [error["path"] for error in errors] == [["alsoBad"], ["bad"]]
    for error in errors:
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert "Invalid Product ID" in error["message"], error
