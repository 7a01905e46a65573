"""Admins create products with options and variants: the answer, the stored document and
the SKU registry; and every refused input leaves nothing behind.

The vocabulary at the top is shared by the other variant admin tests:
test_variants_admin_changes.py (createVariant, updateVariant, deleteVariant, updateProduct),
test_variants_admin_stock.py (adjustStock), test_variants_admin_ids.py (bad IDs, node),
test_variants_admin_races.py and test_variant_listing.py.
"""

import base64
from itertools import product as combinations
from typing import Any

import pytest
from bson import ObjectId

from tests.factories import global_id, object_id_of, product_document
from tests.helpers import error, movements, without_messages

# --- the shared vocabulary of the variant admin tests ------------------------------------

SHOE_OPTIONS = [
    {"name": "Size", "values": ["42", "43", "44"]},
    {"name": "Color", "values": ["Black", "White"]},
]
VARIANT_FIELDS = "id sku title selectedOptions { name value } price { amount } stock inStock"
PRODUCT_FIELDS = f"""
  id sku name price {{ amount currency }} stock inStock options {{ name values }}
  variants {{ {VARIANT_FIELDS} }} priceRange {{ min {{ amount }} max {{ amount }} }}
"""
USER_ERRORS = "userErrors { field message code }"
CREATE_PRODUCT = f"""mutation Create($input: ProductCreateInput!) {{
  createProduct(input: $input) {{ product {{ {PRODUCT_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_PRODUCT = f"""mutation Update($id: ID!, $input: ProductUpdateInput!) {{
  updateProduct(id: $id, input: $input) {{ product {{ {PRODUCT_FIELDS} }} {USER_ERRORS} }}
}}"""
CREATE_VARIANT = f"""mutation CreateVariant($productId: ID!, $input: VariantInput!) {{
  createVariant(productId: $productId, input: $input) {{
    variant {{ {VARIANT_FIELDS} }} product {{ {PRODUCT_FIELDS} }} {USER_ERRORS}
  }}
}}"""
UPDATE_VARIANT = f"""mutation UpdateVariant($id: ID!, $input: VariantUpdateInput!) {{
  updateVariant(id: $id, input: $input) {{
    variant {{ {VARIANT_FIELDS} }} product {{ {PRODUCT_FIELDS} }} {USER_ERRORS}
  }}
}}"""
DELETE_VARIANT = f"""mutation DeleteVariant($id: ID!) {{
  deleteVariant(id: $id) {{ deletedId product {{ {PRODUCT_FIELDS} }} {USER_ERRORS} }}
}}"""
ADJUST_STOCK = f"""mutation Adjust(
  $productId: ID, $variantId: ID, $delta: Int!, $reason: String!
) {{
  adjustStock(productId: $productId, variantId: $variantId, delta: $delta, reason: $reason) {{
    product {{ id stock inStock }} variant {{ id stock inStock }} {USER_ERRORS}
  }}
}}"""


def chosen(**values: str) -> list[dict[str, str]]:
    """Selected options, in the order given: `chosen(Size="42", Color="Black")`."""
    return [{"name": name, "value": value} for name, value in values.items()]


def variant_input(sku: str, price: str, stock: int = 0, **values: str) -> dict[str, Any]:
    return {"sku": sku, "price": price, "stock": stock, "selectedOptions": chosen(**values)}


def many_variants(options: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """`count` variants of distinct combinations of `options`, one unit each."""
    names = [option["name"] for option in options]
    picked = list(combinations(*(option["values"] for option in options)))[:count]
    assert len(picked) == count
    return [
        variant_input(f"V-{n}", "1.00", 1, **dict(zip(names, values, strict=True)))
        for n, values in enumerate(picked)
    ]


async def create_product(as_admin, **input: Any) -> dict[str, Any]:
    """The createProduct payload; `input` may leave out the name (and price with variants)."""
    input.setdefault("name", input["sku"].title())
    return (await as_admin(CREATE_PRODUCT, {"input": input}))["createProduct"]


def created(payload: dict[str, Any], key: str = "product") -> dict[str, Any]:
    assert payload["userErrors"] == [], payload
    assert payload[key] is not None, payload
    return payload[key]


async def create_shoe(as_admin, sku: str = "SHOE", stocks: tuple[int, ...] = (3, 4)):
    """A product in sizes 42 and 43 (Black), 59.00 and 64.00, with these stocks."""
    variants = [
        variant_input(f"{sku}-42-BLK", "59.00", stocks[0], Size="42", Color="Black"),
        variant_input(f"{sku}-43-BLK", "64.00", stocks[1], Size="43", Color="Black"),
    ]
    return created(await create_product(as_admin, sku=sku, options=SHOE_OPTIONS, variants=variants))


def variant_gid(product_id: ObjectId, variant_id: ObjectId) -> str:
    return global_id("ProductVariant", f"{product_id}:{variant_id}")


def variant_ids(variant_global_id: str) -> tuple[ObjectId, ObjectId]:
    """(product id, variant id) inside a variant's global ID."""
    type_name, product_hex, variant_hex = base64.b64decode(variant_global_id).decode().split(":")
    assert type_name == "ProductVariant", variant_global_id
    return ObjectId(product_hex), ObjectId(variant_hex)


async def document_of(db, product: dict[str, Any]) -> dict[str, Any]:
    """The stored document of a Product as the API answered it."""
    document = await db.products.find_one({"_id": object_id_of(product["id"])})
    assert document is not None, product
    return document


async def insert(db, document: dict[str, Any]) -> dict[str, Any]:
    await db.products.insert_one(document)
    return document


async def sku_claims(db) -> dict[str, ObjectId]:
    """The SKU registry: SKU -> the product that holds it."""
    return {claim["_id"]: claim["productId"] async for claim in db.skus.find({})}


def assert_stock_kept(document: dict[str, Any]) -> None:
    """The storage rules of stock: one variant keeps it in `stock`; several keep one entry
    each in `variantStock`, and `stock` is their sum; `price` is the lowest variant price."""
    variants = document.get("variants") or []
    if len(variants) > 1:
        entries = document["variantStock"]
        assert set(entries) == {str(v["_id"]) for v in variants}, document
        assert document["stock"] == sum(entries.values()), document
        assert all(stock >= 0 for stock in entries.values()), document
    else:
        assert "variantStock" not in document, document
        assert document["stock"] >= 0, document
    if variants:
        assert document["price"] == min(v["price"] for v in variants), document


async def assert_nothing_stored(db) -> None:
    assert await db.products.count_documents({}) == 0
    assert await sku_claims(db) == {}
    assert await movements(db) == []


async def create_variant(as_admin, product: dict[str, Any], input: dict[str, Any]):
    variables = {"productId": product["id"], "input": input}
    return (await as_admin(CREATE_VARIANT, variables))["createVariant"]


async def update_variant(as_admin, variant_id: str, input: dict[str, Any]):
    return (await as_admin(UPDATE_VARIANT, {"id": variant_id, "input": input}))["updateVariant"]


async def adjust(
    as_admin,
    *,
    delta: int,
    product_id: str | None = None,
    variant_id: str | None = None,
    reason: str = "count",
) -> dict[str, Any]:
    """The adjustStock payload; the IDs left out are not sent."""
    variables: dict[str, Any] = {"delta": delta, "reason": reason}
    if product_id is not None:
        variables["productId"] = product_id
    if variant_id is not None:
        variables["variantId"] = variant_id
    return (await as_admin(ADJUST_STOCK, variables))["adjustStock"]


# --- creating a product with variants ----------------------------------------------------


async def test_a_product_created_with_variants_answers_each_variant_and_their_totals(
    db, as_admin, admin
):
    payload = await create_product(
        as_admin,
        sku="SHOE",
        name="Trail shoe",
        options=SHOE_OPTIONS,
        variants=[
            variant_input("SHOE-42-BLK", "59.00", 3, Size="42", Color="Black"),
            # Given in another order than the options: answered in the options' order.
            variant_input("SHOE-44-WHT", "64.00", 0, Color="White", Size="44"),
            variant_input("SHOE-43-BLK", "59.50", 2, Size="43", Color="Black"),
        ],
    )

    assert payload["userErrors"] == []
    product = payload["product"]
    ids = [variant_ids(variant["id"]) for variant in product["variants"]]
    product_id = object_id_of(product["id"])
    assert all(owner == product_id for owner, _ in ids)
    assert len({variant for _, variant in ids}) == 3
    assert product_id not in {variant for _, variant in ids}
    assert product == {
        "id": product["id"],
        "sku": "SHOE",
        "name": "Trail shoe",
        "price": {"amount": "59.00", "currency": "USD"},
        "stock": 5,
        "inStock": True,
        "options": SHOE_OPTIONS,
        "variants": [
            {
                "id": product["variants"][0]["id"],
                "sku": "SHOE-42-BLK",
                "title": "42 / Black",
                "selectedOptions": chosen(Size="42", Color="Black"),
                "price": {"amount": "59.00"},
                "stock": 3,
                "inStock": True,
            },
            {
                "id": product["variants"][1]["id"],
                "sku": "SHOE-44-WHT",
                "title": "44 / White",
                "selectedOptions": chosen(Size="44", Color="White"),
                "price": {"amount": "64.00"},
                "stock": 0,
                "inStock": False,
            },
            {
                "id": product["variants"][2]["id"],
                "sku": "SHOE-43-BLK",
                "title": "43 / Black",
                "selectedOptions": chosen(Size="43", Color="Black"),
                "price": {"amount": "59.50"},
                "stock": 2,
                "inStock": True,
            },
        ],
        "priceRange": {"min": {"amount": "59.00"}, "max": {"amount": "64.00"}},
    }

    document = await document_of(db, product)
    [v42, v44, v43] = [variant for _, variant in ids]
    assert document["variants"] == [
        {
            "_id": v42,
            "sku": "SHOE-42-BLK",
            "price": 5900,
            "selectedOptions": chosen(Size="42", Color="Black"),
        },
        {
            "_id": v44,
            "sku": "SHOE-44-WHT",
            "price": 6400,
            "selectedOptions": chosen(Size="44", Color="White"),
        },
        {
            "_id": v43,
            "sku": "SHOE-43-BLK",
            "price": 5950,
            "selectedOptions": chosen(Size="43", Color="Black"),
        },
    ]
    assert document["variantStock"] == {str(v42): 3, str(v44): 0, str(v43): 2}
    assert document["stock"] == 5
    assert document["price"] == 5900
    assert document["options"] == SHOE_OPTIONS
    assert_stock_kept(document)
    assert await sku_claims(db) == {
        "SHOE": product_id,
        "SHOE-42-BLK": product_id,
        "SHOE-44-WHT": product_id,
        "SHOE-43-BLK": product_id,
    }
    # Each variant's initial stock is a movement of that variant; none for a variant of 0.
    assert [
        (m["productId"], m["variantId"], m["delta"], m["stockAfter"], m["reason"], m["userId"])
        for m in await movements(db)
    ] == [
        (product_id, v42, 3, 3, "created", admin.id),
        (product_id, v43, 2, 2, "created", admin.id),
    ]


async def test_a_product_whose_variants_are_all_sold_out_is_not_in_stock(db, as_admin):
    product = created(
        await create_product(
            as_admin,
            sku="SHOE",
            options=[{"name": "Size", "values": ["42", "43"]}],
            variants=[
                variant_input("SHOE-42", "70", 0, Size="42"),
                variant_input("SHOE-43", "60", 0, Size="43"),
            ],
        )
    )

    assert (product["stock"], product["inStock"]) == (0, False)
    assert product["price"]["amount"] == "60.00"
    assert product["priceRange"] == {"min": {"amount": "60.00"}, "max": {"amount": "70.00"}}
    document = await document_of(db, product)
    assert document["stock"] == 0
    assert sorted(document["variantStock"].values()) == [0, 0]
    assert await movements(db) == []


async def test_a_product_created_without_variants_has_one_default_variant(db, as_admin, admin):
    product = created(
        await create_product(as_admin, sku="MUG-1", name="Mug", price="12.50", stock=4)
    )

    product_id = object_id_of(product["id"])
    assert product["options"] == []
    assert product["variants"] == [
        {
            "id": variant_gid(product_id, product_id),
            "sku": "MUG-1",
            "title": "Default Title",
            "selectedOptions": [],
            "price": {"amount": "12.50"},
            "stock": 4,
            "inStock": True,
        }
    ]
    assert (product["price"]["amount"], product["stock"], product["inStock"]) == ("12.50", 4, True)
    assert product["priceRange"] == {"min": {"amount": "12.50"}, "max": {"amount": "12.50"}}
    document = await document_of(db, product)
    assert "variantStock" not in document
    assert document["stock"] == 4
    assert document["price"] == 1250
    assert document["variants"] == [
        {"_id": product_id, "sku": "MUG-1", "price": 1250, "selectedOptions": []}
    ]
    assert await sku_claims(db) == {"MUG-1": product_id}
    [movement] = await movements(db)
    assert (movement["variantId"], movement["delta"], movement["stockAfter"]) == (product_id, 4, 4)
    assert movement["userId"] == admin.id


async def test_one_option_with_one_variant_keeps_its_stock_in_stock(db, as_admin):
    """One variant, even with options, is a one-variant product: no `variantStock`."""
    product = created(
        await create_product(
            as_admin,
            sku="TEE",
            options=[{"name": "Size", "values": ["M", "L"]}],
            variants=[variant_input("TEE-M", "19.00", 6, Size="M")],
        )
    )

    [variant] = product["variants"]
    assert (variant["title"], variant["stock"], product["stock"]) == ("M", 6, 6)
    document = await document_of(db, product)
    assert "variantStock" not in document
    assert document["stock"] == 6
    assert document["variants"][0]["_id"] == variant_ids(variant["id"])[1]


@pytest.mark.parametrize("count", [3, 100])
async def test_a_product_may_have_up_to_three_options_and_a_hundred_variants(db, as_admin, count):
    options = [
        {"name": "Size", "values": [str(n) for n in range(1, 11)]},
        {"name": "Color", "values": [f"C{n}" for n in range(1, 6)]},
        {"name": "Width", "values": ["Narrow", "Wide"]},
    ]
    variants = many_variants(options, count)

    product = created(await create_product(as_admin, sku="BIG", options=options, variants=variants))

    assert len(product["variants"]) == count
    assert product["stock"] == count
    document = await document_of(db, product)
    assert len(document["variantStock"]) == count
    assert document["stock"] == count
    assert len(await sku_claims(db)) == count + 1


# --- refused input: nothing is stored ----------------------------------------------------

TWO_SHOES = [
    variant_input("SHOE-42-BLK", "59.00", 1, Size="42", Color="Black"),
    variant_input("SHOE-43-BLK", "59.00", 1, Size="43", Color="Black"),
]


def shoes_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    """TWO_SHOES with one variant's input changed."""
    listed = [dict(variant) for variant in TWO_SHOES]
    listed[index].update(changes)
    return listed


@pytest.mark.parametrize(
    ("changes", "field", "named"),
    [
        pytest.param(
            {"variants": shoes_with(0, selectedOptions=chosen(Size="45", Color="Black"))},
            ["input", "variants", "0", "selectedOptions"],
            "45",
            id="a value the option does not have",
        ),
        pytest.param(
            {"variants": shoes_with(1, selectedOptions=chosen(Size="43"))},
            ["input", "variants", "1", "selectedOptions"],
            "Color",
            id="an option missing",
        ),
        pytest.param(
            {
                "variants": shoes_with(
                    1, selectedOptions=chosen(Size="43", Color="Black", Fit="Wide")
                )
            },
            ["input", "variants", "1", "selectedOptions"],
            None,
            id="an option the product does not have",
        ),
        pytest.param(
            {"variants": shoes_with(1, selectedOptions=chosen(Size="42", Color="Black"))},
            ["input", "variants", "1", "selectedOptions"],
            "42 / Black",
            id="two variants with the same options",
        ),
        pytest.param(
            {"variants": shoes_with(1, sku="SHOE-42-BLK")},
            ["input", "variants", "1", "sku"],
            "SHOE-42-BLK",
            id="two variants with the same SKU",
        ),
        pytest.param(
            {
                "options": [
                    *SHOE_OPTIONS,
                    {"name": "Width", "values": ["Wide"]},
                    {"name": "Fit", "values": ["Slim"]},
                ]
            },
            ["input", "options"],
            "3",
            id="four options",
        ),
        pytest.param(
            {"variants": None, "price": "59.00"},
            ["input", "variants"],
            None,
            id="options without variants",
        ),
        pytest.param({"price": "59.00"}, ["input", "price"], None, id="a price with variants"),
        pytest.param({"price": "0"}, ["input", "price"], None, id="a price of 0 with variants"),
        pytest.param({"stock": 5}, ["input", "stock"], None, id="a stock with variants"),
        pytest.param(
            {
                "options": None,
                "variants": [variant_input("A-1", "1.00"), variant_input("A-2", "2.00")],
            },
            ["input", "variants"],
            None,
            id="two variants without options",
        ),
        pytest.param(
            {"variants": shoes_with(0, price="-1")},
            ["input", "variants", "0", "price"],
            None,
            id="a negative variant price",
        ),
        pytest.param(
            {"variants": shoes_with(1, sku="has space")},
            ["input", "variants", "1", "sku"],
            None,
            id="a malformed variant SKU",
        ),
        pytest.param(
            {"variants": shoes_with(1, stock=-1)},
            ["input", "variants", "1", "stock"],
            None,
            id="a negative variant stock",
        ),
        pytest.param(
            {"options": [SHOE_OPTIONS[0], {"name": "size", "values": ["S"]}]},
            ["input", "options", "1", "name"],
            None,
            id="an option listed twice",
        ),
        pytest.param(
            {"options": [{"name": "Size", "values": ["42", "43", "42"]}, SHOE_OPTIONS[1]]},
            ["input", "options", "0", "values"],
            None,
            id="a value listed twice",
        ),
    ],
)
async def test_a_refused_product_with_variants_names_the_field_and_stores_nothing(
    db, as_admin, changes, field, named
):
    given: dict[str, Any] = {"sku": "SHOE", "options": SHOE_OPTIONS, "variants": TWO_SHOES}
    given.update(changes)
    given = {name: value for name, value in given.items() if value is not None}

    payload = await create_product(as_admin, **given)

    assert payload["product"] is None
    errors = without_messages(payload["userErrors"])
    assert errors[0] == error(field, "INVALID"), errors
    # Another problem may follow from the same cause (two variants without options also
    # have the same, empty, combination); all of them are INVALID.
    assert {entry["code"] for entry in errors} == {"INVALID"}, errors
    if named is not None:
        assert named in payload["userErrors"][0]["message"], payload
    await assert_nothing_stored(db)


async def test_more_than_a_hundred_variants_are_refused(db, as_admin):
    options = [
        {"name": "Size", "values": [str(n) for n in range(1, 12)]},
        {"name": "Color", "values": [f"C{n}" for n in range(1, 11)]},
    ]

    payload = await create_product(
        as_admin, sku="BIG", options=options, variants=many_variants(options, 101)
    )

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", "variants"], "INVALID")]
    assert "100" in payload["userErrors"][0]["message"]
    await assert_nothing_stored(db)


# --- SKUs are unique across products and variants ----------------------------------------


@pytest.mark.parametrize("stored_by", ["the API", "another program"])
async def test_a_variant_sku_that_is_another_products_sku_already_exists(db, as_admin, stored_by):
    if stored_by == "the API":
        mug = created(await create_product(as_admin, sku="MUG-1", price="5.00"))
        mug_id = object_id_of(mug["id"])
    else:
        mug_id = (await insert(db, product_document(sku="MUG-1")))["_id"]
    claims_before = await sku_claims(db)

    payload = await create_product(
        as_admin,
        sku="SHOE",
        options=SHOE_OPTIONS,
        variants=[
            variant_input("SHOE-42-BLK", "59.00", 1, Size="42", Color="Black"),
            variant_input("MUG-1", "59.00", 1, Size="43", Color="Black"),
        ],
    )

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [
        error(["input", "variants", "1", "sku"], "ALREADY_EXISTS")
    ]
    assert "MUG-1" in payload["userErrors"][0]["message"]
    assert [p["_id"] for p in await db.products.find({}).to_list()] == [mug_id]
    # The SKUs claimed before the taken one was met are given up again.
    assert await sku_claims(db) == claims_before


async def test_a_variant_sku_that_is_another_products_variant_sku_already_exists(db, as_admin):
    shoe = created(
        await create_product(as_admin, sku="SHOE", options=SHOE_OPTIONS, variants=TWO_SHOES)
    )
    claims_before = await sku_claims(db)

    payload = await create_product(
        as_admin,
        sku="BOOT",
        options=SHOE_OPTIONS,
        variants=[variant_input("SHOE-43-BLK", "80.00", 1, Size="43", Color="Black")],
    )

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [
        error(["input", "variants", "0", "sku"], "ALREADY_EXISTS")
    ]
    assert [p["_id"] for p in await db.products.find({}).to_list()] == [object_id_of(shoe["id"])]
    assert await sku_claims(db) == claims_before


@pytest.mark.parametrize("with_variants", [False, True])
async def test_a_product_sku_that_is_another_products_variant_sku_already_exists(
    db, as_admin, with_variants
):
    shoe = created(
        await create_product(as_admin, sku="SHOE", options=SHOE_OPTIONS, variants=TWO_SHOES)
    )
    claims_before = await sku_claims(db)
    given: dict[str, Any] = {"sku": "SHOE-42-BLK"}
    if with_variants:
        given.update(
            options=SHOE_OPTIONS,
            variants=[variant_input("OTHER-42", "10.00", 1, Size="42", Color="Black")],
        )
    else:
        given.update(price="10.00", stock=3)

    payload = await create_product(as_admin, **given)

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", "sku"], "ALREADY_EXISTS")]
    assert [p["_id"] for p in await db.products.find({}).to_list()] == [object_id_of(shoe["id"])]
    assert await sku_claims(db) == claims_before
    assert {m["productId"] for m in await movements(db)} == {object_id_of(shoe["id"])}
