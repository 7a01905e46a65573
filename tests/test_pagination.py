"""Relay pagination of `products`: complete and ordered walks, stable cursors, clear errors.

The big catalog has many ties in price, stock and name, and random `_id`s unrelated to
`createdAt`, so a walk is only complete and ordered if ties are broken by `_id` exactly as
documented: `(sort key, _id)`, both in the requested direction.
"""

import base64
import json
import random
from datetime import timedelta
from typing import Any

import pytest
from bson import ObjectId

from tests.factories import BASE_TIME, global_id, product_document
from tests.helpers import answered, assert_refused

PRODUCTS = """
query Products(
  $first: Int, $after: String, $last: Int, $before: String,
  $sort: ProductSort, $filter: ProductFilter
) {
  products(
    first: $first, after: $after, last: $last, before: $before, sort: $sort, filter: $filter
  ) {
    edges { cursor node { id sku name price { amount } stock createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""

SORT_KEYS = {"CREATED_AT": "createdAt", "NAME": "name", "PRICE": "price", "STOCK": "stock"}
SORTS = [
    pytest.param({"field": field, "direction": direction}, id=f"{field}-{direction}")
    for field in SORT_KEYS
    for direction in ("ASC", "DESC")
]
CATALOG_SIZE = 250
# Uneven, so pages end inside runs of ties; the forward sizes add up to exactly 250.
FORWARD_SIZES = [30, 7, 1, 50, 13, 100, 2, 29, 18]
BACKWARD_SIZES = [17, 1, 40, 3, 100, 9, 64]


def tied_catalog(size: int = CATALOG_SIZE, seed: int = 20260101) -> list[dict[str, Any]]:
    """Active products with ~10 prices, 5 stock levels, 20 names and distinct createdAt.

    `_id`s are random (but reproducible), so their order says nothing about createdAt.
    """
    rng = random.Random(seed)
    ids = [ObjectId(rng.randbytes(12)) for _ in range(size)]
    prices = [499, 500, 999, 1000, 1250, 1999, 2500, 4999, 9900, 10000]
    documents = []
    for n, object_id in enumerate(ids):
        # Milliseconds matter: a cursor has to carry them exactly.
        created_at = BASE_TIME + timedelta(milliseconds=rng.randrange(10**9) * 1000 + n)
        documents.append(
            product_document(
                _id=object_id,
                sku=f"TIE-{n:04d}",
                name=f"Item {rng.randrange(20):02d}",
                price=rng.choice(prices),
                stock=rng.choice([0, 1, 5, 10, 250]),
                createdAt=created_at,
                updatedAt=created_at,
            )
        )
    assert len({document["createdAt"] for document in documents}) == size
    return documents


def expected_ids(documents: list[dict[str, Any]], sort: dict[str, str]) -> list[str]:
    """Global IDs in the documented order: (sort key, _id), both in the sort's direction."""
    key = SORT_KEYS[sort["field"]]
    ordered = sorted(
        documents,
        key=lambda document: (document[key], document["_id"].binary),
        reverse=sort["direction"] == "DESC",
    )
    return [global_id("Product", document["_id"]) for document in ordered]


def neighbour_id(object_id: ObjectId, offset: int) -> ObjectId:
    """The ObjectId `offset` steps away in ObjectId order."""
    return ObjectId((int.from_bytes(object_id.binary) + offset).to_bytes(12))


def cursor_of(payload: object) -> str:
    """A cursor in the app's encoding (unpadded base64url of JSON), with any payload."""
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


async def fetch(gql, **variables: Any) -> dict[str, Any]:
    body = await gql(PRODUCTS, variables)
    assert "errors" not in body, body
    connection = body["data"]["products"]
    edges = connection["edges"]
    info = connection["pageInfo"]
    # startCursor/endCursor are the cursors of the first and last edge.
    assert info["startCursor"] == (edges[0]["cursor"] if edges else None)
    assert info["endCursor"] == (edges[-1]["cursor"] if edges else None)
    return connection


def ids_of(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


async def walk_forward(
    gql, sizes: list[int], after: str | None = None, **variables: Any
) -> list[dict[str, Any]]:
    """Every page from `after` (or the start), following endCursor until hasNextPage is false."""
    pages = []
    while True:
        page = await fetch(gql, first=sizes[len(pages) % len(sizes)], after=after, **variables)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
        assert len(pages) <= CATALOG_SIZE, "the walk does not end"


async def walk_backward(
    gql, sizes: list[int], before: str | None = None, **variables: Any
) -> list[dict[str, Any]]:
    """Every page from `before` (or the end), following startCursor until hasPreviousPage
    is false."""
    pages = []
    while True:
        page = await fetch(gql, last=sizes[len(pages) % len(sizes)], before=before, **variables)
        pages.append(page)
        if not page["pageInfo"]["hasPreviousPage"]:
            return pages
        before = page["pageInfo"]["startCursor"]
        assert len(pages) <= CATALOG_SIZE, "the walk does not end"


def assert_bad_user_input(response, *fragments: str) -> str:
    """A GraphQL error the client can fix: status 200, BAD_USER_INPUT, no data, no internals."""
    return assert_refused(answered(response), None, "BAD_USER_INPUT", fragments=fragments)


async def post(client, variables: dict[str, Any], query: str = PRODUCTS):
    return await client.post("/graphql", json={"query": query, "variables": variables})


# --- complete, ordered walks -------------------------------------------------------------


@pytest.mark.parametrize("sort", SORTS)
async def test_walking_forward_lists_every_product_once_in_sort_order(db, gql, sort):
    catalog = tied_catalog()
    hidden = [product_document(active=False, price=999, stock=5, name="Item 03") for _ in range(5)]
    await db.products.insert_many(catalog + hidden)
    expected = expected_ids(catalog, sort)

    pages = await walk_forward(gql, FORWARD_SIZES, sort=sort)

    seen = [node_id for page in pages for node_id in ids_of(page)]
    assert len(seen) == len(set(seen)), "a product was listed twice"
    assert seen == expected
    position = 0
    for number, page in enumerate(pages):
        size = FORWARD_SIZES[number % len(FORWARD_SIZES)]
        assert ids_of(page) == expected[position : position + size]
        position += len(page["edges"])
        assert page["totalCount"] == CATALOG_SIZE
        assert page["pageInfo"]["hasPreviousPage"] is (number > 0)
        assert page["pageInfo"]["hasNextPage"] is (position < CATALOG_SIZE)


@pytest.mark.parametrize("sort", SORTS)
async def test_walking_backward_lists_every_product_once_in_sort_order(db, gql, sort):
    catalog = tied_catalog()
    hidden = [product_document(active=False, price=999, stock=5, name="Item 03") for _ in range(5)]
    await db.products.insert_many(catalog + hidden)
    expected = expected_ids(catalog, sort)

    pages = await walk_backward(gql, BACKWARD_SIZES, sort=sort)

    # Each backward page is in normal order; the pages come from the end to the start.
    seen = [node_id for page in reversed(pages) for node_id in ids_of(page)]
    assert len(seen) == len(set(seen)), "a product was listed twice"
    assert seen == expected
    end = CATALOG_SIZE
    for number, page in enumerate(pages):
        size = BACKWARD_SIZES[number % len(BACKWARD_SIZES)]
        assert ids_of(page) == expected[max(0, end - size) : end]
        end -= len(page["edges"])
        assert page["totalCount"] == CATALOG_SIZE
        assert page["pageInfo"]["hasNextPage"] is (number > 0)
        assert page["pageInfo"]["hasPreviousPage"] is (end > 0)


@pytest.mark.parametrize("sort", SORTS[2:6])
async def test_a_cursor_pages_both_ways_from_the_same_product(db, gql, sort):
    """`after: c` and `before: c` are the products right after and right before c."""
    catalog = tied_catalog(80)
    await db.products.insert_many(catalog)
    expected = expected_ids(catalog, sort)
    middle = (await fetch(gql, first=41, sort=sort))["edges"][40]
    assert middle["node"]["id"] == expected[40]

    after = await fetch(gql, first=15, after=middle["cursor"], sort=sort)
    before = await fetch(gql, last=15, before=middle["cursor"], sort=sort)

    assert ids_of(after) == expected[41:56]
    assert ids_of(before) == expected[25:40]


async def test_after_the_last_product_the_page_is_empty(db, gql):
    catalog = tied_catalog(12)
    await db.products.insert_many(catalog)
    last_page = await fetch(gql, first=12)
    assert last_page["pageInfo"]["hasNextPage"] is False

    beyond = await fetch(gql, first=5, after=last_page["pageInfo"]["endCursor"])
    before_first = await fetch(gql, last=5, before=last_page["pageInfo"]["startCursor"])

    assert beyond["edges"] == []
    assert beyond["pageInfo"]["hasNextPage"] is False
    assert before_first["edges"] == []
    assert before_first["pageInfo"]["hasPreviousPage"] is False
    assert beyond["totalCount"] == before_first["totalCount"] == 12


async def test_the_default_order_is_newest_first_and_its_cursors_fit_the_explicit_sort(db, gql):
    catalog = tied_catalog(30)
    await db.products.insert_many(catalog)
    newest_first = {"field": "CREATED_AT", "direction": "DESC"}

    first = await fetch(gql, first=10)
    rest = await fetch(gql, first=30, after=first["pageInfo"]["endCursor"], sort=newest_first)

    assert ids_of(first) + ids_of(rest) == expected_ids(catalog, newest_first)


# --- cursors stay valid while the catalog changes ----------------------------------------


@pytest.mark.parametrize(
    "sort",
    [
        pytest.param({"field": "CREATED_AT", "direction": "DESC"}, id="CREATED_AT-DESC"),
        pytest.param({"field": "PRICE", "direction": "ASC"}, id="PRICE-ASC"),
        pytest.param({"field": "STOCK", "direction": "DESC"}, id="STOCK-DESC"),
    ],
)
async def test_products_inserted_between_pages_appear_only_after_the_cursor(db, gql, sort):
    catalog = tied_catalog(60)
    await db.products.insert_many(catalog)
    key = SORT_KEYS[sort["field"]]
    descending = sort["direction"] == "DESC"
    first = await fetch(gql, first=25, sort=sort)
    by_id = {global_id("Product", document["_id"]): document for document in catalog}
    boundary = by_id[ids_of(first)[-1]]

    # Same sort value as the cursor's product, on both sides of its _id, and values
    # clearly before and after it in the listing's order.
    step = timedelta(hours=1) if key == "createdAt" else 1
    earlier_value = boundary[key] + step if descending else boundary[key] - step
    later_value = boundary[key] - step if descending else boundary[key] + step
    low_id = neighbour_id(boundary["_id"], -1)
    high_id = neighbour_id(boundary["_id"], +1)
    assert low_id < boundary["_id"] < high_id
    tie_before, tie_after = (high_id, low_id) if descending else (low_id, high_id)
    sorts_before = [
        product_document(**{key: earlier_value}),
        product_document(_id=tie_before, **{key: boundary[key]}),
    ]
    sorts_after = [
        product_document(**{key: later_value}),
        product_document(_id=tie_after, **{key: boundary[key]}),
    ]
    if key == "createdAt":
        # Distinct createdAt: a tie is a product created in the same millisecond.
        for document in (sorts_before[1], sorts_after[1]):
            document["createdAt"] = boundary["createdAt"]
    await db.products.insert_many(sorts_before + sorts_after)

    rest = await walk_forward(gql, [20], sort=sort, after=first["pageInfo"]["endCursor"])

    walked = ids_of(first) + [node_id for page in rest for node_id in ids_of(page)]
    everything = catalog + sorts_before + sorts_after
    assert len(walked) == len(set(walked)), "a product was listed twice"
    assert walked == ids_of(first) + [
        node_id
        for node_id in expected_ids(everything, sort)
        if node_id not in set(ids_of(first))
        and node_id not in {global_id("Product", d["_id"]) for d in sorts_before}
    ]
    assert {global_id("Product", d["_id"]) for d in sorts_after} <= set(walked)
    assert not {global_id("Product", d["_id"]) for d in sorts_before} & set(walked)
    assert set(walked) >= set(by_id)
    assert rest[-1]["totalCount"] == 64


async def test_a_new_product_does_not_shift_the_next_page_of_the_newest_first_listing(db, gql):
    catalog = [product_document() for _ in range(30)]
    await db.products.insert_many(catalog)
    first = await fetch(gql, first=10)
    await db.products.insert_many(
        [product_document(createdAt=BASE_TIME + timedelta(days=365)) for _ in range(3)]
    )

    second = await fetch(gql, first=10, after=first["pageInfo"]["endCursor"])

    newest_first = {"field": "CREATED_AT", "direction": "DESC"}
    assert ids_of(second) == expected_ids(catalog, newest_first)[10:20]
    assert second["totalCount"] == 33


@pytest.mark.parametrize("sort", SORTS[2:6])
async def test_deleting_the_cursors_product_does_not_break_the_walk(db, gql, sort):
    catalog = tied_catalog(60)
    await db.products.insert_many(catalog)
    expected = expected_ids(catalog, sort)
    by_id = {global_id("Product", document["_id"]): document for document in catalog}
    first = await fetch(gql, first=20, sort=sort)

    # The product at the cursor and the one right after it disappear.
    gone = [expected[19], expected[20]]
    await db.products.delete_many({"_id": {"$in": [by_id[node_id]["_id"] for node_id in gone]}})
    rest = await walk_forward(gql, [15], sort=sort, after=first["pageInfo"]["endCursor"])

    walked = ids_of(first) + [node_id for page in rest for node_id in ids_of(page)]
    assert walked == expected[:20] + expected[21:]
    assert rest[0]["totalCount"] == 58


@pytest.mark.parametrize("sort", SORTS[2:6])
async def test_deleting_the_cursors_product_does_not_break_a_backward_walk(db, gql, sort):
    catalog = tied_catalog(60)
    await db.products.insert_many(catalog)
    expected = expected_ids(catalog, sort)
    by_id = {global_id("Product", document["_id"]): document for document in catalog}
    last = await fetch(gql, last=20, sort=sort)

    gone = [expected[40], expected[39]]
    await db.products.delete_many({"_id": {"$in": [by_id[node_id]["_id"] for node_id in gone]}})
    pages = await walk_backward(gql, [15], sort=sort, before=last["pageInfo"]["startCursor"])

    walked = [node_id for page in reversed(pages) for node_id in ids_of(page)] + ids_of(last)
    assert walked == expected[:39] + expected[40:]


async def test_a_product_deactivated_between_pages_is_skipped_not_repeated(db, gql):
    catalog = tied_catalog(40)
    await db.products.insert_many(catalog)
    sort = {"field": "PRICE", "direction": "DESC"}
    expected = expected_ids(catalog, sort)
    by_id = {global_id("Product", document["_id"]): document for document in catalog}
    first = await fetch(gql, first=10, sort=sort)

    await db.products.update_one({"_id": by_id[expected[9]]["_id"]}, {"$set": {"active": False}})
    await db.products.update_one({"_id": by_id[expected[15]]["_id"]}, {"$set": {"active": False}})
    rest = await walk_forward(gql, [10], sort=sort, after=first["pageInfo"]["endCursor"])

    walked = ids_of(first) + [node_id for page in rest for node_id in ids_of(page)]
    assert walked == expected[:15] + expected[16:]
    assert rest[0]["totalCount"] == 38


# --- page sizes --------------------------------------------------------------------------


async def test_the_default_page_is_20_and_first_100_returns_100(db, gql):
    catalog = tied_catalog()
    await db.products.insert_many(catalog)
    expected = expected_ids(catalog, {"field": "CREATED_AT", "direction": "DESC"})

    default = await fetch(gql)
    hundred = await fetch(gql, first=100)
    last_hundred = await fetch(gql, last=100)
    default_backward = await fetch(gql, before=hundred["pageInfo"]["endCursor"])

    assert ids_of(default) == expected[:20]
    assert default["pageInfo"]["hasNextPage"] is True
    assert ids_of(hundred) == expected[:100]
    assert ids_of(last_hundred) == expected[-100:]
    assert ids_of(default_backward) == expected[79:99]


async def test_an_empty_catalog_gives_an_empty_page(db, gql):
    await db.products.insert_one(product_document(active=False))

    for variables in ({}, {"first": 5}, {"last": 5}):
        connection = await fetch(gql, **variables)

        assert connection == {
            "edges": [],
            "pageInfo": {
                "hasNextPage": False,
                "hasPreviousPage": False,
                "startCursor": None,
                "endCursor": None,
            },
            "totalCount": 0,
        }


async def test_total_count_counts_all_matching_products_not_the_page(db, gql):
    mugs = [product_document(category="mugs") for _ in range(45)]
    others = [product_document(category="plates") for _ in range(12)]
    hidden = [product_document(category="mugs", active=False) for _ in range(4)]
    await db.products.insert_many(mugs + others + hidden)
    only_mugs = {"category": "mugs"}

    pages = await walk_forward(gql, [10], filter=only_mugs)
    backward = await walk_backward(gql, [7], filter=only_mugs)
    everything = await fetch(gql, first=3)

    assert [len(page["edges"]) for page in pages] == [10, 10, 10, 10, 5]
    assert {page["totalCount"] for page in pages + backward} == {45}
    assert everything["totalCount"] == 57


# --- errors ------------------------------------------------------------------------------

VALID_ID = "65a1b2c3d4e5f60718293a4b"


@pytest.mark.parametrize(
    ("cursor", "sort"),
    [
        pytest.param("not a cursor!!", None, id="garbage"),
        pytest.param("%%%", None, id="no-base64-at-all"),
        pytest.param(base64.urlsafe_b64encode(b"hello, world").decode(), None, id="not-json"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(), None, id="not-utf8"),
        pytest.param(cursor_of({"scope": "x", "id": VALID_ID}), None, id="json-object"),
        pytest.param(cursor_of([]), None, id="empty-list"),
        pytest.param(cursor_of(["products:CREATED_AT:DESC", VALID_ID]), None, id="two-items"),
        pytest.param(
            cursor_of(["products:CREATED_AT:DESC", {"ms": 0}, VALID_ID, 4]), None, id="four-items"
        ),
        pytest.param(cursor_of("abc"), None, id="json-string"),
        pytest.param(cursor_of(42), None, id="json-number"),
        pytest.param(cursor_of(None), None, id="json-null"),
        pytest.param(
            cursor_of(["products:CREATED_AT:DESC", {"ms": 0}, "not-an-object-id"]),
            None,
            id="bad-id",
        ),
        pytest.param(cursor_of(["products:CREATED_AT:DESC", {"ms": 0}, None]), None, id="null-id"),
        pytest.param(
            cursor_of(["products:CREATED_AT:DESC", {"ms": 0}, [VALID_ID]]), None, id="list-id"
        ),
        pytest.param(
            cursor_of(["products:CREATED_AT:DESC", "2026-01-01T00:00:00Z", VALID_ID]),
            None,
            id="date-as-string",
        ),
        pytest.param(
            cursor_of(["products:CREATED_AT:DESC", {"ms": "0"}, VALID_ID]),
            None,
            id="date-ms-as-string",
        ),
        pytest.param(
            cursor_of(["products:CREATED_AT:DESC", {"ms": 10**17}, VALID_ID]),
            None,
            id="date-out-of-range",
        ),
        pytest.param(
            cursor_of(["products:PRICE:ASC", "1000", VALID_ID]),
            {"field": "PRICE", "direction": "ASC"},
            id="price-as-string",
        ),
        pytest.param(
            cursor_of(["products:PRICE:ASC", 10.5, VALID_ID]),
            {"field": "PRICE", "direction": "ASC"},
            id="price-as-float",
        ),
        pytest.param(
            cursor_of(["products:PRICE:ASC", 2**63, VALID_ID]),
            {"field": "PRICE", "direction": "ASC"},
            id="price-beyond-int64",
        ),
        pytest.param(
            cursor_of(["products:STOCK:DESC", 2**64 - 1, VALID_ID]),
            {"field": "STOCK", "direction": "DESC"},
            id="stock-beyond-int64",
        ),
        pytest.param(
            cursor_of(["products:STOCK:ASC", True, VALID_ID]),
            {"field": "STOCK", "direction": "ASC"},
            id="stock-as-bool",
        ),
        pytest.param(
            cursor_of(["products:NAME:ASC", 7, VALID_ID]),
            {"field": "NAME", "direction": "ASC"},
            id="name-as-number",
        ),
        pytest.param(
            cursor_of(["products:NAME:ASC", None, VALID_ID]),
            {"field": "NAME", "direction": "ASC"},
            id="name-null",
        ),
        pytest.param("A" * 10_000, None, id="huge"),
        pytest.param(cursor_of(["x" * 5_000, {"ms": 0}, VALID_ID]), None, id="huge-valid-json"),
    ],
)
@pytest.mark.parametrize("argument", ["after", "before"])
async def test_a_malformed_cursor_is_refused_as_bad_user_input(db, client, cursor, sort, argument):
    await db.products.insert_many([product_document() for _ in range(3)])

    response = await post(client, {argument: cursor, "sort": sort})

    message = assert_bad_user_input(response, "cursor")
    assert len(message) < 300, "the error echoes the whole cursor"


@pytest.mark.parametrize(
    ("made_with", "used_with"),
    [
        pytest.param(("PRICE", "ASC"), ("STOCK", "ASC"), id="price-cursor-for-stock"),
        pytest.param(("PRICE", "ASC"), ("PRICE", "DESC"), id="other-direction"),
        pytest.param(("NAME", "DESC"), ("NAME", "ASC"), id="other-direction-names"),
        pytest.param(("CREATED_AT", "DESC"), ("CREATED_AT", "ASC"), id="other-direction-dates"),
        pytest.param(("STOCK", "DESC"), ("PRICE", "DESC"), id="stock-cursor-for-price"),
    ],
)
@pytest.mark.parametrize("argument", ["after", "before"])
async def test_a_cursor_from_another_sort_order_is_refused(
    db, gql, client, made_with, used_with, argument
):
    await db.products.insert_many(tied_catalog(10))
    made = {"field": made_with[0], "direction": made_with[1]}
    used = {"field": used_with[0], "direction": used_with[1]}
    cursor = (await fetch(gql, first=3, sort=made))["pageInfo"]["endCursor"]

    response = await post(client, {argument: cursor, "sort": used})

    assert_bad_user_input(response, "another listing or sort order")


@pytest.mark.parametrize(
    ("made_with", "used_with"),
    [
        pytest.param(("NAME", "ASC"), ("PRICE", "ASC"), id="name-cursor-for-price"),
        pytest.param(("CREATED_AT", "DESC"), ("NAME", "DESC"), id="date-cursor-for-name"),
        pytest.param(("PRICE", "ASC"), ("CREATED_AT", "ASC"), id="price-cursor-for-dates"),
    ],
)
async def test_a_cursor_from_a_sort_of_another_type_is_refused(
    db, gql, client, made_with, used_with
):
    await db.products.insert_many(tied_catalog(10))
    made = {"field": made_with[0], "direction": made_with[1]}
    used = {"field": used_with[0], "direction": used_with[1]}
    cursor = (await fetch(gql, first=3, sort=made))["pageInfo"]["endCursor"]

    response = await post(client, {"after": cursor, "sort": used})

    assert_bad_user_input(response, "cursor")


@pytest.mark.parametrize(
    ("variables", "argument", "value"),
    [
        pytest.param({"first": 0}, "first", 0, id="first-0"),
        pytest.param({"first": -1}, "first", -1, id="first-negative"),
        pytest.param({"first": 101}, "first", 101, id="first-101"),
        pytest.param({"first": 2**31 - 1}, "first", 2**31 - 1, id="first-max-int"),
        pytest.param({"last": 0}, "last", 0, id="last-0"),
        pytest.param({"last": -5}, "last", -5, id="last-negative"),
        pytest.param({"last": 101}, "last", 101, id="last-101"),
    ],
)
async def test_a_page_size_outside_1_to_100_is_refused(db, client, variables, argument, value):
    await db.products.insert_many([product_document() for _ in range(3)])

    response = await post(client, variables)

    assert_bad_user_input(response, f"`{argument}`", "between 1 and 100", f"got {value}")


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"first": 5, "last": 5}, id="first-and-last"),
        pytest.param({"first": 5, "before": "CURSOR"}, id="first-and-before"),
        pytest.param({"after": "CURSOR", "last": 5}, id="after-and-last"),
        pytest.param({"after": "CURSOR", "before": "CURSOR"}, id="after-and-before"),
    ],
)
async def test_paging_forward_and_backward_at_once_is_refused(db, gql, client, variables):
    await db.products.insert_many([product_document() for _ in range(5)])
    cursor = (await fetch(gql, first=2))["pageInfo"]["endCursor"]
    variables = {name: cursor if value == "CURSOR" else value for name, value in variables.items()}

    response = await post(client, variables)

    assert_bad_user_input(response, "`first`/`after`", "`last`/`before`")


@pytest.mark.parametrize(
    ("query", "variables", "fragment"),
    [
        pytest.param(
            '{ products(first: "a") { totalCount } }', {}, "Int cannot represent", id="literal"
        ),
        pytest.param(PRODUCTS, {"first": "a"}, "$first", id="variable"),
        pytest.param(PRODUCTS, {"first": 2**40}, "$first", id="variable-beyond-int"),
        pytest.param(PRODUCTS, {"after": 12}, "$after", id="number-as-cursor"),
        pytest.param(PRODUCTS, {"sort": {"field": "PRICEY"}}, "$sort", id="unknown-sort-field"),
    ],
)
async def test_an_argument_of_the_wrong_type_is_a_validation_error(
    client, query, variables, fragment
):
    response = await post(client, variables, query)

    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert fragment in error["message"], body
    assert (error.get("extensions") or {}).get("code") != "INTERNAL_SERVER_ERROR", body
