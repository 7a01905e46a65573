"""Listing products that have variants: price and stock conditions hold when any variant
matches, sorting uses the lowest price and the summed stock, the demo catalog has variants,
and a page of products with their variants is one query of the fields it needs.

Vocabulary and helpers: tests/test_variants_admin.py.
"""

from typing import Any

import pytest

from shopgraph.server.cli import Seeding, prepare_database
from tests.factories import object_id_of, product_document
from tests.test_variants_admin import (
    assert_stock_kept,
    create_product,
    created,
    insert,
    sku_claims,
    variant_gid,
    variant_input,
)

SIZES = [{"name": "Size", "values": ["S", "M", "L"]}]

# --- filters: a condition holds when any variant meets it ---------------------------------


@pytest.mark.parametrize(
    ("min_price", "max_price", "expected"),
    [
        ("40.00", "60.00", {"TWO-PRICES"}),
        ("5.00", "15.00", {"TWO-PRICES", "OLD-12"}),
        ("20.00", "30.00", {"ONE-25"}),
        ("45.00", None, {"TWO-PRICES"}),
        (None, "11.00", {"TWO-PRICES"}),
        ("10.00", "10.00", {"TWO-PRICES"}),
        ("50.00", "50.00", {"TWO-PRICES"}),
        ("10.01", "24.99", {"OLD-12"}),
        ("50.01", None, set()),
    ],
)
async def test_a_price_range_matches_a_product_when_any_variant_is_priced_within_it(
    db, gql, as_admin, min_price, max_price, expected
):
    await sized(as_admin, "TWO-PRICES", ("10.00", 1), ("50.00", 1))
    created(await create_product(as_admin, sku="ONE-25", price="25.00", stock=1))
    await insert(db, product_document(sku="OLD-12", price=1200))  # stored without variants
    price_filter = {}
    if min_price is not None:
        price_filter["minPrice"] = min_price
    if max_price is not None:
        price_filter["maxPrice"] = max_price

    assert await listed_skus(gql, {"filter": price_filter}) == expected


async def test_a_price_range_follows_a_changed_variant_price(db, gql, as_admin):
    shirt = await sized(as_admin, "TEE", ("10.00", 1), ("50.00", 1))
    in_range = {"filter": {"minPrice": "70.00", "maxPrice": "80.00"}}
    assert await listed_skus(gql, in_range) == set()

    update = """mutation($id: ID!) { updateVariant(id: $id, input: {price: "75.00"}) {
      userErrors { field message code } } }"""
    assert (await as_admin(update, {"id": shirt["variants"][1]["id"]}))["updateVariant"] == {
        "userErrors": []
    }

    assert await listed_skus(gql, in_range) == {"TEE"}
    assert await listed_skus(gql, {"filter": {"minPrice": "40", "maxPrice": "60"}}) == set()


async def test_in_stock_holds_when_any_variant_has_stock(db, gql, as_admin):
    one_left = await sized(as_admin, "ONE-LEFT", ("10.00", 0), ("10.00", 1), ("10.00", 0))
    await sized(as_admin, "SOLD-OUT", ("10.00", 0), ("10.00", 0))
    created(await create_product(as_admin, sku="MUG-2", price="3.00", stock=2))
    created(await create_product(as_admin, sku="MUG-0", price="3.00", stock=0))

    assert await listed_skus(gql, {"filter": {"inStock": True}}) == {"ONE-LEFT", "MUG-2"}
    assert await listed_skus(gql, {"filter": {"inStock": False}}) == {"SOLD-OUT", "MUG-0"}

    # The last unit of its one stocked variant goes: the product is sold out.
    adjust = """mutation($id: ID!) { adjustStock(variantId: $id, delta: -1, reason: "sold") {
      userErrors { field message code } } }"""
    assert (await as_admin(adjust, {"id": one_left["variants"][1]["id"]}))["adjustStock"] == {
        "userErrors": []
    }
    assert await listed_skus(gql, {"filter": {"inStock": True}}) == {"MUG-2"}
    assert await listed_skus(gql, {"filter": {"inStock": False}}) == {
        "ONE-LEFT",
        "SOLD-OUT",
        "MUG-0",
    }


# --- sorting: the lowest price, the summed stock ------------------------------------------


async def test_sorting_by_price_uses_the_lowest_variant_price(db, gql, as_admin):
    await sized(as_admin, "CHEAP-AND-DEAR", ("90.00", 1), ("10.00", 1))
    await sized(as_admin, "MIDDLING", ("40.00", 1), ("30.00", 1))
    created(await create_product(as_admin, sku="FIFTY", price="50.00", stock=1))
    await insert(db, product_document(sku="OLD-20", price=2000))

    ascending = await listed_in_order(gql, "PRICE", "ASC")
    descending = await listed_in_order(gql, "PRICE", "DESC")

    assert ascending == [
        ("CHEAP-AND-DEAR", "10.00"),
        ("OLD-20", "20.00"),
        ("MIDDLING", "30.00"),
        ("FIFTY", "50.00"),
    ]
    assert descending == ascending[::-1]
    # Page by page, with cursors on the lowest price.
    assert await paged_skus(gql, "PRICE", "ASC", 3) == [sku for sku, _ in ascending]


async def test_sorting_by_stock_uses_the_sum_of_the_variants_stock(db, gql, as_admin):
    await sized(as_admin, "TEN", ("1.00", 1), ("1.00", 9))
    await sized(as_admin, "EIGHT", ("1.00", 4), ("1.00", 0), ("1.00", 4))
    await sized(as_admin, "NONE", ("1.00", 0), ("1.00", 0))
    created(await create_product(as_admin, sku="FIVE", price="1.00", stock=5))

    ascending = await listed_in_order(gql, "STOCK", "ASC", "stock")

    assert ascending == [("NONE", 0), ("FIVE", 5), ("EIGHT", 8), ("TEN", 10)]
    assert await listed_in_order(gql, "STOCK", "DESC", "stock") == ascending[::-1]
    assert await paged_skus(gql, "STOCK", "DESC", 3) == [sku for sku, _ in ascending[::-1]]


# --- the demo catalog ------------------------------------------------------------------


async def test_the_demo_catalog_has_products_with_several_variants_and_with_one(
    db, gql, admin, make_settings
):
    added, _ = await prepare_database(make_settings(), Seeding.MISSING)
    assert added == 72

    products = await every_product_with_variants(gql, admin.headers)

    assert len(products) == 72
    for product in products:
        assert_totals_of_variants(product)
    several = [p for p in products if len(p["variants"]) > 1]
    single = [p for p in products if len(p["variants"]) == 1]
    assert several and len(single) > len(several)
    for product in single:
        [variant] = product["variants"]
        assert (variant["title"], variant["sku"]) == ("Default Title", product["sku"])
        product_id = object_id_of(product["id"])
        assert variant["id"] == variant_gid(product_id, product_id)

    # Shoes in sizes, the large sizes dearer.
    shoes = [p for p in several if [o["name"] for o in p["options"]] == ["Size"]]
    assert shoes
    for shoe in shoes:
        sizes = shoe["options"][0]["values"]
        assert len(shoe["variants"]) == len(sizes) > 2
        price_of = {v["title"]: float(v["price"]["amount"]) for v in shoe["variants"]}
        small = [price_of[size] for size in sizes if int(size) < 44]
        large = [price_of[size] for size in sizes if int(size) >= 44]
        assert small and large
        assert min(large) > max(small), price_of
        assert shoe["priceRange"]["min"] != shoe["priceRange"]["max"]

    # Shirts in sizes and colours: every combination once.
    shirts = [p for p in several if len(p["options"]) == 2]
    assert shirts
    for shirt in shirts:
        sizes, colours = (option["values"] for option in shirt["options"])
        titles = [v["title"] for v in shirt["variants"]]
        assert sorted(titles) == sorted(f"{s} / {c}" for s in sizes for c in colours)

    # Some variants are sold out while their product is still in stock.
    assert any(
        product["inStock"] and not variant["inStock"]
        for product in several
        for variant in product["variants"]
    )

    # As stored: the stock rules hold, and every SKU is in the registry.
    claims = await sku_claims(db)
    async for document in db.products.find({}):
        assert_stock_kept(document)
        for variant in document["variants"]:
            assert claims[variant["sku"]] == document["_id"], variant
        assert claims[document["sku"]] == document["_id"]


# --- a page of products with their variants is one query --------------------------------


async def test_twenty_products_with_their_variants_are_one_find_of_the_fields_needed(
    db, gql, command_log, make_settings
):
    await prepare_database(make_settings(), Seeding.MISSING)
    command_log.clear()

    body = await gql(
        """{ products(first: 20) { edges { node {
          sku variants { id sku title price { amount } stock inStock }
        } } } }"""
    )

    assert "errors" not in body, body
    products = [edge["node"] for edge in body["data"]["products"]["edges"]]
    assert len(products) == 20
    assert any(len(product["variants"]) > 1 for product in products)
    stored = {d["sku"]: d async for d in db.products.find({"sku": {"$in": skus_of(products)}})}
    for product in products:
        document = stored[product["sku"]]
        assert [v["sku"] for v in product["variants"]] == [v["sku"] for v in document["variants"]]
        assert [v["stock"] for v in product["variants"]] == variant_stocks(document)
    [find] = command_log.named("find", "products")
    projection = set(find["projection"])
    assert {"variants", "variantStock", "stock"} <= projection, projection
    assert projection <= NEEDED_FOR_VARIANTS, projection
    assert find["limit"] == 21


async def test_each_variants_product_is_loaded_in_one_batch_for_the_page(
    db, gql, command_log, make_settings
):
    await prepare_database(make_settings(), Seeding.MISSING)
    command_log.clear()

    body = await gql(
        """{ products(first: 20) { edges { node {
          sku variants { sku product { name } }
        } } } }"""
    )

    assert "errors" not in body, body
    products = [edge["node"] for edge in body["data"]["products"]["edges"]]
    names = {
        d["sku"]: d["name"] async for d in db.products.find({"sku": {"$in": skus_of(products)}})
    }
    for product in products:
        assert {v["product"]["name"] for v in product["variants"]} == {names[product["sku"]]}
    # The page, then one batch of the products its variants belong to.
    assert len(command_log.named("find", "products")) <= 2


async def test_selecting_only_the_options_does_not_read_the_variants(db, gql, command_log):
    await insert(db, product_document(options=[{"name": "Size", "values": ["S"]}]))
    command_log.clear()

    body = await gql("{ products { edges { node { options { name values } } } } }")

    assert body["data"]["products"]["edges"] == [
        {"node": {"options": [{"name": "Size", "values": ["S"]}]}}
    ]
    [find] = command_log.named("find", "products")
    assert set(find["projection"]) == {"options"}


# --- helpers -----------------------------------------------------------------------------

LISTED_PRODUCT = """
  id sku price { amount } stock inStock options { name values }
  variants { id sku title price { amount } stock inStock selectedOptions { name value } }
  priceRange { min { amount } max { amount } }
"""
# What reading a product's variants may fetch, and no more.
NEEDED_FOR_VARIANTS = {
    "_id",
    "sku",
    "price",
    "stock",
    "variants",
    "variantStock",
    "variantsVersion",
}


async def sized(as_admin, sku: str, *variants: tuple[str, int]) -> dict[str, Any]:
    """A product in sizes S, M, L...: one variant per (price, stock) given."""
    values = ["S", "M", "L", "XL"][: len(variants)]
    options = [{"name": "Size", "values": values}]
    return created(
        await create_product(
            as_admin,
            sku=sku,
            options=options,
            variants=[
                variant_input(f"{sku}-{size}", price, stock, Size=size)
                for size, (price, stock) in zip(values, variants, strict=True)
            ],
        )
    )


async def listed_skus(gql, variables: dict[str, Any]) -> set[str]:
    body = await gql(
        """query List($filter: ProductFilter) {
          products(first: 100, filter: $filter) { edges { node { sku } } }
        }""",
        variables,
    )
    assert "errors" not in body, body
    return {edge["node"]["sku"] for edge in body["data"]["products"]["edges"]}


async def listed_in_order(gql, field: str, direction: str, value: str = "price") -> list[tuple]:
    """(SKU, price amount or stock) of every product in this order."""
    body = await gql(
        """query List($sort: ProductSort) {
          products(first: 100, sort: $sort) { edges { node { sku price { amount } stock } } }
        }""",
        {"sort": {"field": field, "direction": direction}},
    )
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["products"]["edges"]]
    if value == "price":
        return [(node["sku"], node["price"]["amount"]) for node in nodes]
    return [(node["sku"], node["stock"]) for node in nodes]


async def paged_skus(gql, field: str, direction: str, size: int) -> list[str]:
    """Every product's SKU, reading pages of `size` with cursors."""
    skus: list[str] = []
    after = None
    while True:
        body = await gql(
            """query Page($sort: ProductSort, $first: Int, $after: String) {
              products(first: $first, after: $after, sort: $sort) {
                pageInfo { hasNextPage endCursor } edges { node { sku } }
              }
            }""",
            {"sort": {"field": field, "direction": direction}, "first": size, "after": after},
        )
        assert "errors" not in body, body
        page = body["data"]["products"]
        skus += [edge["node"]["sku"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return skus
        after = page["pageInfo"]["endCursor"]


def assert_totals_of_variants(product: dict[str, Any]) -> None:
    """A product's price, stock and inStock are those of its variants."""
    prices = [variant["price"]["amount"] for variant in product["variants"]]
    assert product["price"]["amount"] == min(prices, key=float), product
    assert product["priceRange"] == {
        "min": {"amount": min(prices, key=float)},
        "max": {"amount": max(prices, key=float)},
    }, product
    assert product["stock"] == sum(variant["stock"] for variant in product["variants"]), product
    assert product["inStock"] == any(variant["inStock"] for variant in product["variants"])


def skus_of(products: list[dict[str, Any]]) -> list[str]:
    return [product["sku"] for product in products]


def variant_stocks(document: dict[str, Any]) -> list[int]:
    """Each variant's stock as stored, in display order."""
    if "variantStock" in document:
        return [document["variantStock"][str(v["_id"])] for v in document["variants"]]
    return [document["stock"]]


async def every_product_with_variants(gql, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every product, inactive ones too, with its variants: in pages of 10, as a product
    may have up to 100 variants and the query cost limit counts them."""
    products: list[dict[str, Any]] = []
    after = None
    while True:
        body = await gql(
            f"""query Page($after: String) {{
              products(first: 10, after: $after, filter: {{includeInactive: true}}) {{
                pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {LISTED_PRODUCT} }} }}
              }}
            }}""",
            {"after": after},
            headers=headers,
        )
        assert "errors" not in body, body
        page = body["data"]["products"]
        products += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return products
        after = page["pageInfo"]["endCursor"]
