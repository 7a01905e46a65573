"""`products(filter:)`: each condition alone, combined, and the arguments it refuses."""

import json
from typing import Any

import pytest

from tests.factories import product_document
from tests.helpers import assert_refused
from tests.helpers import post_json as post

LISTING = """
query Listing($filter: ProductFilter) {
  products(first: 100, filter: $filter) {
    totalCount
    edges { node { sku } }
  }
}
"""


async def listed(client, filter_: dict[str, Any] | None) -> tuple[set[str], int]:
    """(SKUs on the page, totalCount) of a listing with this filter; fails on any error."""
    body = await post(client, LISTING, {"filter": filter_})
    assert "errors" not in body, body
    connection = body["data"]["products"]
    skus = [edge["node"]["sku"] for edge in connection["edges"]]
    assert len(skus) == len(set(skus)), skus
    return set(skus), connection["totalCount"]


def assert_bad_user_input(body: dict[str, Any], *fragments: str) -> None:
    """One client error, coded BAD_USER_INPUT, whose message names what is wrong."""
    assert_refused(body, None, "BAD_USER_INPUT", fragments=fragments)


def assert_validation_error(body: dict[str, Any], *fragments: str) -> None:
    """Refused before execution: no data, no path, a message naming the bad value."""
    assert body.get("data") is None, body
    assert body["errors"], body
    for error in body["errors"]:
        assert "path" not in error, error
        assert "Internal server error" not in error["message"]
        assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", error
    messages = " ".join(error["message"] for error in body["errors"])
    for fragment in fragments:
        assert fragment in messages, body


async def insert(db, *documents: dict[str, Any]) -> None:
    await db.products.insert_many(list(documents))


# --- no filter --------------------------------------------------------------------------


@pytest.mark.parametrize("filter_", [None, {}], ids=["no-filter", "empty-filter"])
async def test_no_filter_lists_every_active_product(db, client, filter_):
    await insert(
        db,
        product_document(sku="A"),
        product_document(sku="B", stock=0),
        product_document(sku="C", category=None, tags=["x"]),
        product_document(sku="HIDDEN", active=False),
    )

    assert await listed(client, filter_) == ({"A", "B", "C"}, 3)


# --- search -----------------------------------------------------------------------------


async def test_search_matches_name_sku_or_description_case_insensitively(db, client):
    await insert(
        db,
        product_document(sku="N-1", name="Blue MUG", description=""),
        product_document(sku="N-2", name="mugshot poster", description="paper"),
        product_document(sku="S-MuG-3", name="Cup", description="ceramic"),
        product_document(sku="D-4", name="Cup", description="Fits in any Mug holder"),
        product_document(sku="X-5", name="Plate", description="ceramic"),
        product_document(sku="X-6", name="M-u-g", description="m ug"),
        product_document(sku="X-7", name="Mu", description="g"),
        product_document(sku="MUG-HIDDEN", name="Mug", active=False),
    )

    assert await listed(client, {"search": "mug"}) == ({"N-1", "N-2", "S-MuG-3", "D-4"}, 4)
    assert await listed(client, {"search": "MUG"}) == ({"N-1", "N-2", "S-MuG-3", "D-4"}, 4)
    assert await listed(client, {"search": "mug holder"}) == ({"D-4"}, 1)
    assert await listed(client, {"search": "s-mug-3"}) == ({"S-MuG-3"}, 1)
    assert await listed(client, {"search": "teapot"}) == (set(), 0)


async def test_search_is_case_insensitive_beyond_ascii(db, client):
    await insert(
        db,
        product_document(sku="CAFE", name="CAFÉ CRÈME set", description=""),
        product_document(sku="CAFE-PLAIN", name="cafe creme", description=""),
    )

    assert await listed(client, {"search": "café crème"}) == ({"CAFE"}, 1)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (".", {"DOT"}),
        ("a.b", {"DOT"}),
        ("(x)", {"PAREN"}),
        ("f(", {"PAREN"}),
        ("[tag]", {"BRACKET"}),
        ("a*b", {"STAR"}),
        ("a+b", {"PLUS"}),
        ("q?", {"QUESTION"}),
        ("$5", {"DOLLAR"}),
        ("^up", {"CARET"}),
        ("x|y", {"PIPE"}),
        ("{2}", {"BRACE"}),
        ("back\\slash", {"BACKSLASH"}),
        (".*", set()),
        ("a.*b", set()),
        ("x|zzz", set()),
    ],
)
async def test_search_matches_regex_metacharacters_literally(db, client, search, expected):
    await insert(
        db,
        product_document(sku="DOT", name="a.b", description=""),
        product_document(sku="AXB", name="axb", description=""),
        product_document(sku="PAREN", name="f(x)", description=""),
        product_document(sku="FX", name="fx", description=""),
        product_document(sku="BRACKET", name="[tag]", description=""),
        product_document(sku="T", name="t", description=""),
        product_document(sku="STAR", name="a*b", description=""),
        product_document(sku="AAB", name="aab", description=""),
        product_document(sku="PLUS", name="a+b", description=""),
        product_document(sku="QUESTION", name="q?", description=""),
        product_document(sku="DOLLAR", name="$5 gift", description=""),
        product_document(sku="CARET", name="^up", description=""),
        product_document(sku="UP", name="up", description=""),
        product_document(sku="PIPE", name="x|y", description=""),
        product_document(sku="XY", name="x", description="y"),
        product_document(sku="BRACE", name="{2}", description=""),
        product_document(sku="OO", name="oo", description=""),
        product_document(sku="BACKSLASH", name="back\\slash", description=""),
        product_document(sku="BS", name="backslash", description=""),
    )

    assert await listed(client, {"search": search}) == (expected, len(expected))


async def test_search_of_200_characters_is_accepted_and_201_refused(db, client):
    long_name = "x" * 200
    await insert(
        db,
        product_document(sku="LONG", name=long_name, description=""),
        product_document(sku="SHORT", name="x" * 199, description=""),
    )

    assert await listed(client, {"search": long_name}) == ({"LONG"}, 1)
    body = await post(client, LISTING, {"filter": {"search": "x" * 201}})
    assert_bad_user_input(body, "filter.search", "200")


# --- category ---------------------------------------------------------------------------


async def test_category_matches_exactly(db, client):
    await insert(
        db,
        product_document(sku="K1", category="kitchen"),
        product_document(sku="K2", category="kitchen"),
        product_document(sku="UPPER", category="Kitchen"),
        product_document(sku="LONGER", category="kitchenware"),
        product_document(sku="SHORTER", category="kitch"),
        product_document(sku="OTHER", category="garden"),
        product_document(sku="NONE", category=None),
        product_document(sku="K-HIDDEN", category="kitchen", active=False),
    )
    missing = product_document(sku="MISSING")
    del missing["category"]
    await insert(db, missing)

    assert await listed(client, {"category": "kitchen"}) == ({"K1", "K2"}, 2)
    assert await listed(client, {"category": "Kitchen"}) == ({"UPPER"}, 1)
    assert await listed(client, {"category": "kitch"}) == ({"SHORTER"}, 1)
    assert await listed(client, {"category": "toys"}) == (set(), 0)


# --- tags -------------------------------------------------------------------------------


async def test_tags_lists_products_having_all_given_tags(db, client):
    await insert(
        db,
        product_document(sku="AB", tags=["a", "b"]),
        product_document(sku="BA", tags=["b", "a"]),
        product_document(sku="ABC", tags=["a", "b", "c"]),
        product_document(sku="A", tags=["a"]),
        product_document(sku="B", tags=["b"]),
        product_document(sku="AC", tags=["a", "c"]),
        product_document(sku="UPPER", tags=["A", "B"]),
        product_document(sku="NONE", tags=[]),
        product_document(sku="AB-HIDDEN", tags=["a", "b"], active=False),
    )
    missing = product_document(sku="MISSING")
    del missing["tags"]
    await insert(db, missing)

    assert await listed(client, {"tags": ["a", "b"]}) == ({"AB", "BA", "ABC"}, 3)
    assert await listed(client, {"tags": ["b", "a"]}) == ({"AB", "BA", "ABC"}, 3)
    assert await listed(client, {"tags": ["a"]}) == ({"AB", "BA", "ABC", "A", "AC"}, 5)
    assert await listed(client, {"tags": ["c"]}) == ({"ABC", "AC"}, 2)
    assert await listed(client, {"tags": ["a", "b", "c"]}) == ({"ABC"}, 1)
    assert await listed(client, {"tags": ["a", "z"]}) == (set(), 0)


async def test_tags_accepts_20_tags_and_refuses_21(db, client):
    twenty = [f"t{i}" for i in range(20)]
    await insert(
        db,
        product_document(sku="ALL", tags=twenty),
        product_document(sku="ALMOST", tags=twenty[:19]),
    )

    assert await listed(client, {"tags": twenty}) == ({"ALL"}, 1)
    body = await post(client, LISTING, {"filter": {"tags": [*twenty, "t20"]}})
    assert_bad_user_input(body, "filter.tags", "20")


# --- price ------------------------------------------------------------------------------


@pytest.fixture
async def priced(db):
    """Products at 9.99, 10.00, 10.01, 12.50, 19.99, 20.00, 20.01 (and a hidden 15.00)."""
    await insert(
        db,
        product_document(sku="P0999", price=999),
        product_document(sku="P1000", price=1000),
        product_document(sku="P1001", price=1001),
        product_document(sku="P1250", price=1250),
        product_document(sku="P1999", price=1999),
        product_document(sku="P2000", price=2000),
        product_document(sku="P2001", price=2001),
        product_document(sku="HIDDEN", price=1500, active=False),
    )


@pytest.mark.parametrize("bound", ["10.00", "10", "10.0", 10, 10.0, "1E+1", "  10.00 "])
async def test_min_price_is_inclusive_in_any_spelling(priced, client, bound):
    assert await listed(client, {"minPrice": bound}) == (
        {"P1000", "P1001", "P1250", "P1999", "P2000", "P2001"},
        6,
    )


@pytest.mark.parametrize("bound", ["20.00", "20", 20, 20.0])
async def test_max_price_is_inclusive_in_any_spelling(priced, client, bound):
    assert await listed(client, {"maxPrice": bound}) == (
        {"P0999", "P1000", "P1001", "P1250", "P1999", "P2000"},
        6,
    )


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("10.00", "20.00", {"P1000", "P1001", "P1250", "P1999", "P2000"}),
        (10.01, 19.99, {"P1001", "P1250", "P1999"}),
        ("12.50", "12.50", {"P1250"}),
        (12.5, 12.5, {"P1250"}),
        ("12.49", "12.51", {"P1250"}),
        ("12.51", "19.98", set()),
        ("0", "9.99", {"P0999"}),
        ("0.00", "1000000", {"P0999", "P1000", "P1001", "P1250", "P1999", "P2000", "P2001"}),
    ],
)
async def test_price_range_is_inclusive_at_both_ends(priced, client, low, high, expected):
    assert await listed(client, {"minPrice": low, "maxPrice": high}) == (expected, len(expected))


async def test_price_bounds_written_as_graphql_literals(priced, client):
    query = """{
      asString: products(filter: {minPrice: "12.50", maxPrice: "20.00"}) { totalCount }
      asFloat: products(filter: {minPrice: 12.5, maxPrice: 19.99}) { totalCount }
      asInt: products(filter: {minPrice: 10, maxPrice: 20}) { totalCount }
    }"""
    body = await post(client, query)

    assert body == {
        "data": {
            "asString": {"totalCount": 3},
            "asFloat": {"totalCount": 2},
            "asInt": {"totalCount": 5},
        }
    }


async def test_min_price_above_max_price_is_refused(priced, client):
    body = await post(client, LISTING, {"filter": {"minPrice": "20.01", "maxPrice": "20.00"}})

    assert_bad_user_input(body, "minPrice", "maxPrice", "greater")


@pytest.mark.parametrize("field", ["minPrice", "maxPrice"])
@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ("1.001", ("more than 2 decimals",)),
        ("12.345", ("more than 2 decimals",)),
        (12.345, ("more than 2 decimals",)),
        ("0.001", ("more than 2 decimals",)),
        ("-0.01", ("negative",)),
        ("-5", ("negative",)),
        (-5, ("negative",)),
        ("1e20", ("too large",)),
    ],
)
async def test_bad_price_bound_is_a_clear_bad_user_input(priced, client, field, value, fragments):
    body = await post(client, LISTING, {"filter": {field: value}})

    assert_bad_user_input(body, f"filter.{field}", *fragments)


@pytest.mark.parametrize("field", ["minPrice", "maxPrice"])
@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "not a decimal number"),
        ("12,50", "not a decimal number"),
        ("", "not a decimal number"),
        ("1_000", "not a decimal number"),
        ("\uff11\uff12", "not a decimal number"),  # full-width digits
        ("\u0661\u0662", "not a decimal number"),  # Arabic-Indic digits
        ("NaN", "finite"),
        ("-NaN", "finite"),
        ("sNaN", "finite"),
        ("Infinity", "finite"),
        ("-Infinity", "finite"),
        ("inf", "finite"),
        (True, "string or a number"),
        ([12], "string or a number"),
        ({"amount": "12"}, "string or a number"),
    ],
)
async def test_price_bound_that_is_no_number_is_a_validation_error(client, field, value, fragment):
    body = await post(client, LISTING, {"filter": {field: value}})

    assert_validation_error(body, "Decimal", fragment)


@pytest.mark.parametrize(
    ("literal", "fragment"),
    [
        ('"abc"', "not a decimal number"),
        ('"NaN"', "finite"),
        ('"Infinity"', "finite"),
        ("Infinity", "finite"),
        ("NaN", "finite"),
        ("1e999", "finite"),
        ("true", "string or a number"),
    ],
)
async def test_price_bound_literal_that_is_no_number_is_a_validation_error(
    client, literal, fragment
):
    body = await post(client, f"{{ products(filter: {{minPrice: {literal}}}) {{ totalCount }} }}")

    assert_validation_error(body, "Decimal", fragment)


@pytest.mark.parametrize("field", ["minPrice", "maxPrice"])
@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        # Exponent beyond the decimal context: scaling by 100 overflows.
        ("1e999999", "too large"),
        ("9.99e999999", "too large"),
        # More significant digits than the decimal context keeps: must not be rounded.
        ("10.000000000000000000000000000001", "more than 2 decimals"),
        ("12.499999999999999999999999999999", "more than 2 decimals"),
        # Below the smallest exponent: must not underflow to 0.
        ("1e-999999999", "more than 2 decimals"),
    ],
)
async def test_extreme_price_bound_is_refused_not_rounded_nor_crashing(
    priced, client, field, value, fragment
):
    body = await post(client, LISTING, {"filter": {field: value}})

    assert_bad_user_input(body, f"filter.{field}", fragment)


# --- inStock ----------------------------------------------------------------------------


async def test_in_stock_true_lists_products_with_stock_and_false_those_without(db, client):
    await insert(
        db,
        product_document(sku="ONE", stock=1),
        product_document(sku="MANY", stock=500),
        product_document(sku="ZERO", stock=0),
        product_document(sku="ZERO-2", stock=0),
        product_document(sku="ZERO-HIDDEN", stock=0, active=False),
        product_document(sku="MANY-HIDDEN", stock=9, active=False),
    )

    assert await listed(client, {"inStock": True}) == ({"ONE", "MANY"}, 2)
    assert await listed(client, {"inStock": False}) == ({"ZERO", "ZERO-2"}, 2)
    assert await listed(client, {"inStock": None}) == ({"ONE", "MANY", "ZERO", "ZERO-2"}, 4)


# --- includeInactive --------------------------------------------------------------------


async def test_include_inactive_true_is_refused_to_anonymous_callers(db, client):
    await insert(db, product_document(sku="ON"), product_document(sku="OFF", active=False))

    body = await post(client, LISTING, {"filter": {"includeInactive": True}})

    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert "OFF" not in json.dumps(body)
    assert await listed(client, {"includeInactive": False}) == ({"ON"}, 1)


# --- inactive and missing fields --------------------------------------------------------


async def test_inactive_products_are_never_listed_whatever_the_filter(db, client):
    hidden = {
        "name": "Hidden teapot",
        "description": "teapot",
        "category": "kitchen",
        "tags": ["eco"],
        "price": 1500,
        "stock": 5,
        "active": False,
    }
    await insert(
        db,
        product_document(sku="TEAPOT-OFF", **hidden),
        product_document(sku="TEAPOT-ON", **{**hidden, "active": True}),
    )
    unset = product_document(sku="TEAPOT-UNSET", **hidden)
    del unset["active"]
    await insert(db, unset)

    everything = {
        "search": "teapot",
        "category": "kitchen",
        "tags": ["eco"],
        "minPrice": "15.00",
        "maxPrice": "15.00",
        "inStock": True,
    }
    for key in everything:
        assert await listed(client, {key: everything[key]}) == ({"TEAPOT-ON", "TEAPOT-UNSET"}, 2)
    assert await listed(client, everything) == ({"TEAPOT-ON", "TEAPOT-UNSET"}, 2)
    assert await listed(client, {"search": "TEAPOT-OFF"}) == (set(), 0)


async def test_listing_shows_defaults_for_fields_other_programs_left_out(db, client):
    bare = product_document(sku="BARE", name="Bare product", price=1250, stock=2)
    for field in ("active", "description", "tags"):
        del bare[field]
    await insert(db, bare)

    body = await post(
        client,
        """{ products(filter: {category: "general", inStock: true, maxPrice: "12.50"}) {
            totalCount
            edges { node { sku name description tags active price { amount currency } } }
        } }""",
    )

    assert body == {
        "data": {
            "products": {
                "totalCount": 1,
                "edges": [
                    {
                        "node": {
                            "sku": "BARE",
                            "name": "Bare product",
                            "description": "",
                            "tags": [],
                            "active": True,
                            "price": {"amount": "12.50", "currency": "USD"},
                        }
                    }
                ],
            }
        }
    }


# --- combined ---------------------------------------------------------------------------

COMBINED = {
    "search": "mug",
    "category": "kitchen",
    "tags": ["eco", "sale"],
    "minPrice": "10.00",
    "maxPrice": "20.00",
    "inStock": True,
}


@pytest.fixture
async def combined_catalog(db):
    """Three products meeting every condition of COMBINED; each decoy misses exactly one."""
    ok: dict[str, Any] = {
        "name": "Blue mug",
        "description": "",
        "category": "kitchen",
        "tags": ["eco", "sale"],
        "price": 1500,
        "stock": 3,
    }
    await insert(
        db,
        # Matches, at both price bounds, through name, SKU and description.
        product_document(sku="MATCH-NAME", **{**ok, "price": 1000, "tags": ["sale", "x", "eco"]}),
        product_document(sku="MUG-MATCH-SKU", **{**ok, "name": "Cup", "price": 2000}),
        product_document(
            sku="MATCH-DESC", **{**ok, "name": "Cup", "description": "A MUG-sized cup", "stock": 1}
        ),
        # Decoys: each fails one condition only.
        product_document(sku="NO-SEARCH", **{**ok, "name": "Blue cup", "description": "cup"}),
        product_document(sku="MUG-CATEGORY", **{**ok, "category": "garden"}),
        product_document(sku="MUG-CATEGORY-CASE", **{**ok, "category": "Kitchen"}),
        product_document(sku="MUG-ONE-TAG", **{**ok, "tags": ["eco"]}),
        product_document(sku="MUG-NO-TAGS", **{**ok, "tags": []}),
        product_document(sku="MUG-CHEAP", **{**ok, "price": 999}),
        product_document(sku="MUG-DEAR", **{**ok, "price": 2001}),
        product_document(sku="MUG-SOLD-OUT", **{**ok, "stock": 0}),
        product_document(sku="MUG-INACTIVE", **{**ok, "active": False}),
    )


async def test_all_conditions_combined(combined_catalog, client):
    assert await listed(client, COMBINED) == (
        {"MATCH-NAME", "MUG-MATCH-SKU", "MATCH-DESC"},
        3,
    )


@pytest.mark.parametrize(
    ("dropped", "also_expected"),
    [
        ("search", {"NO-SEARCH"}),
        ("category", {"MUG-CATEGORY", "MUG-CATEGORY-CASE"}),
        ("tags", {"MUG-ONE-TAG", "MUG-NO-TAGS"}),
        ("minPrice", {"MUG-CHEAP"}),
        ("maxPrice", {"MUG-DEAR"}),
        ("inStock", {"MUG-SOLD-OUT"}),
    ],
)
async def test_combined_without_one_condition_lets_its_decoys_in(
    combined_catalog, client, dropped, also_expected
):
    filter_ = {key: value for key, value in COMBINED.items() if key != dropped}
    expected = {"MATCH-NAME", "MUG-MATCH-SKU", "MATCH-DESC"} | also_expected

    assert await listed(client, filter_) == (expected, len(expected))


async def test_combined_subsets(combined_catalog, client):
    assert await listed(client, {"category": "kitchen", "inStock": False}) == (
        {"MUG-SOLD-OUT"},
        1,
    )
    assert await listed(client, {"search": "cup", "tags": ["eco"], "maxPrice": 15}) == (
        {"MATCH-DESC", "NO-SEARCH"},
        2,
    )
    assert await listed(client, {"tags": ["sale", "x"], "minPrice": "10", "maxPrice": 10}) == (
        {"MATCH-NAME"},
        1,
    )
