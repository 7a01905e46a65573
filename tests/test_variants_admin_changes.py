"""Admins add, change and delete variants, and change products that have them; a SKU
given up is free again.

Vocabulary and helpers: tests/test_variants_admin.py.
"""

import pytest

from tests.factories import global_id, object_id_of, product_document
from tests.helpers import error, movements, without_messages
from tests.test_variants_admin import (
    DELETE_VARIANT,
    SHOE_OPTIONS,
    UPDATE_PRODUCT,
    adjust,
    assert_stock_kept,
    chosen,
    create_product,
    create_shoe,
    create_variant,
    created,
    document_of,
    insert,
    sku_claims,
    update_variant,
    variant_gid,
    variant_ids,
    variant_input,
)

# --- createVariant -----------------------------------------------------------------------


async def test_create_variant_adds_a_combination_with_its_own_sku_price_and_stock(
    db, as_admin, admin
):
    shoe = await create_shoe(as_admin, stocks=(3, 4))

    payload = await create_variant(
        as_admin, shoe, variant_input("SHOE-42-WHT", "61.00", 5, Color="White", Size="42")
    )

    variant = created(payload, "variant")
    product_id, variant_id = variant_ids(variant["id"])
    assert product_id == object_id_of(shoe["id"])
    assert variant == {
        "id": variant["id"],
        "sku": "SHOE-42-WHT",
        "title": "42 / White",
        "selectedOptions": chosen(Size="42", Color="White"),
        "price": {"amount": "61.00"},
        "stock": 5,
        "inStock": True,
    }
    product = payload["product"]
    assert [v["id"] for v in product["variants"]] == [
        *(v["id"] for v in shoe["variants"]),
        variant["id"],
    ]
    assert (product["stock"], product["price"]["amount"]) == (12, "59.00")
    assert product["priceRange"] == {"min": {"amount": "59.00"}, "max": {"amount": "64.00"}}
    document = await document_of(db, shoe)
    assert document["variantStock"][str(variant_id)] == 5
    assert document["stock"] == 12
    assert_stock_kept(document)
    assert (await sku_claims(db))["SHOE-42-WHT"] == product_id
    [*_, movement] = await movements(db)
    assert (movement["productId"], movement["variantId"]) == (product_id, variant_id)
    assert (movement["delta"], movement["stockAfter"], movement["reason"]) == (
        5,
        5,
        "createVariant",
    )
    assert movement["userId"] == admin.id


async def test_create_variant_needs_a_value_of_the_products_options_which_updateProduct_adds(
    db, as_admin
):
    shoe = await create_shoe(as_admin)
    before = await document_of(db, shoe)
    size_45 = variant_input("SHOE-45-BLK", "69.00", 2, Size="45", Color="Black")

    refused = await create_variant(as_admin, shoe, size_45)

    assert refused["variant"] is None
    assert without_messages(refused["userErrors"]) == [
        error(["input", "selectedOptions"], "INVALID")
    ]
    assert "45" in refused["userErrors"][0]["message"]
    assert await document_of(db, shoe) == before

    sizes = {"name": "Size", "values": ["42", "43", "44", "45"]}
    updated = (
        await as_admin(
            UPDATE_PRODUCT, {"id": shoe["id"], "input": {"options": [sizes, SHOE_OPTIONS[1]]}}
        )
    )["updateProduct"]
    assert created(updated)["options"] == [sizes, SHOE_OPTIONS[1]]
    assert created(updated)["variants"] == shoe["variants"]

    variant = created(await create_variant(as_admin, shoe, size_45), "variant")
    assert (variant["title"], variant["stock"]) == ("45 / Black", 2)
    document = await document_of(db, shoe)
    assert len(document["variants"]) == 3
    assert document["stock"] == 3 + 4 + 2
    assert_stock_kept(document)


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        pytest.param(
            variant_input("SHOE-42-NEW", "1.00", 1, Size="42", Color="Black"),
            ["input", "selectedOptions"],
            "INVALID",
            id="the options of another variant",
        ),
        pytest.param(
            variant_input("SHOE-42-NEW", "1.00", 1, Size="42"),
            ["input", "selectedOptions"],
            "INVALID",
            id="an option missing",
        ),
        pytest.param(
            variant_input("SHOE-43-BLK", "1.00", 1, Size="44", Color="White"),
            ["input", "sku"],
            "INVALID",
            id="the SKU of another variant",
        ),
        pytest.param(
            variant_input("MUG-1", "1.00", 1, Size="44", Color="White"),
            ["input", "sku"],
            "ALREADY_EXISTS",
            id="the SKU of another product",
        ),
        pytest.param(
            variant_input("BOOT-42-BLK", "1.00", 1, Size="44", Color="White"),
            ["input", "sku"],
            "ALREADY_EXISTS",
            id="the SKU of another product's variant",
        ),
        pytest.param(
            variant_input("SHOE-44-WHT", "-1", 1, Size="44", Color="White"),
            ["input", "price"],
            "INVALID",
            id="a negative price",
        ),
    ],
)
async def test_a_refused_create_variant_changes_nothing(db, as_admin, given, field, code):
    shoe = await create_shoe(as_admin)
    await create_shoe(as_admin, sku="BOOT")
    created(await create_product(as_admin, sku="MUG-1", price="5.00"))
    before, claims_before = await document_of(db, shoe), await sku_claims(db)
    movements_before = await movements(db)

    payload = await create_variant(as_admin, shoe, given)

    assert payload["variant"] is None
    assert without_messages(payload["userErrors"]) == [error(field, code)]
    assert await document_of(db, shoe) == before
    assert await sku_claims(db) == claims_before
    assert await movements(db) == movements_before


async def test_a_product_without_options_gets_no_second_variant(db, as_admin):
    mug = created(await create_product(as_admin, sku="MUG-1", price="5.00", stock=2))
    before = await document_of(db, mug)

    payload = await create_variant(as_admin, mug, variant_input("MUG-2", "6.00", 1))

    assert payload["variant"] is None
    assert payload["userErrors"]
    assert {entry["code"] for entry in payload["userErrors"]} == {"INVALID"}
    assert await document_of(db, mug) == before


# --- updateVariant -----------------------------------------------------------------------


async def test_update_variant_changes_its_price_sku_and_options(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    [v42, v43] = shoe["variants"]

    payload = await update_variant(
        as_admin,
        v43["id"],
        {
            "price": "55.00",
            "sku": "SHOE-43-WHT",
            "selectedOptions": chosen(Size="43", Color="White"),
        },
    )

    variant = created(payload, "variant")
    assert variant == {
        **v43,
        "sku": "SHOE-43-WHT",
        "title": "43 / White",
        "selectedOptions": chosen(Size="43", Color="White"),
        "price": {"amount": "55.00"},
    }
    product = payload["product"]
    assert product["variants"] == [v42, variant]
    # The product's price is the lowest variant price, now the changed one.
    assert product["price"]["amount"] == "55.00"
    assert product["priceRange"] == {"min": {"amount": "55.00"}, "max": {"amount": "59.00"}}
    assert product["stock"] == 7
    document = await document_of(db, shoe)
    assert document["variants"][1] == {
        "_id": variant_ids(v43["id"])[1],
        "sku": "SHOE-43-WHT",
        "price": 5500,
        "selectedOptions": chosen(Size="43", Color="White"),
    }
    assert document["price"] == 5500
    assert document["stock"] == 7
    assert_stock_kept(document)
    assert (await sku_claims(db))["SHOE-43-WHT"] == object_id_of(shoe["id"])
    assert len(await movements(db)) == 2  # the two "created": no stock moved


@pytest.mark.parametrize(
    "given",
    [{"stock": 9}, {"expectedStock": 3}],
    ids=["stock without expectedStock", "expectedStock without stock"],
)
async def test_update_variant_stock_goes_with_expected_stock(db, as_admin, given):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    before = await document_of(db, shoe)

    payload = await update_variant(as_admin, shoe["variants"][0]["id"], given)

    assert payload["variant"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", "expectedStock"], "INVALID")]
    assert await document_of(db, shoe) == before


async def test_update_variant_sets_the_stock_it_was_expected_to_replace(db, as_admin, admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    v42 = shoe["variants"][0]

    payload = await update_variant(as_admin, v42["id"], {"stock": 10, "expectedStock": 3})

    assert created(payload, "variant")["stock"] == 10
    assert payload["product"]["stock"] == 14
    document = await document_of(db, shoe)
    assert document["variantStock"][str(variant_ids(v42["id"])[1])] == 10
    assert document["stock"] == 14
    assert_stock_kept(document)
    movement = (await movements(db))[-1]
    assert (movement["variantId"], movement["delta"], movement["stockAfter"]) == (
        variant_ids(v42["id"])[1],
        7,
        10,
    )
    assert (movement["reason"], movement["userId"]) == ("updateVariant", admin.id)


async def test_update_variant_refuses_a_stock_that_moved_since_it_was_read(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    v42 = shoe["variants"][0]
    created(await adjust(as_admin, variant_id=v42["id"], delta=-1), "variant")
    before, movements_before = await document_of(db, shoe), await movements(db)

    payload = await update_variant(as_admin, v42["id"], {"stock": 10, "expectedStock": 3})

    assert payload["variant"] is None
    assert without_messages(payload["userErrors"]) == [
        error(["input", "expectedStock"], "STOCK_CHANGED")
    ]
    assert "2" in payload["userErrors"][0]["message"]
    assert await document_of(db, shoe) == before
    assert await movements(db) == movements_before


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        (
            {"selectedOptions": chosen(Size="42", Color="Black")},
            ["input", "selectedOptions"],
            "INVALID",
        ),
        (
            {"selectedOptions": chosen(Size="46", Color="Black")},
            ["input", "selectedOptions"],
            "INVALID",
        ),
        ({"sku": "SHOE-42-BLK"}, ["input", "sku"], "INVALID"),
        ({"sku": "MUG-1"}, ["input", "sku"], "ALREADY_EXISTS"),
        ({"sku": "BOOT-43-BLK"}, ["input", "sku"], "ALREADY_EXISTS"),
        ({"price": "1.001"}, ["input", "price"], "INVALID"),
    ],
    ids=[
        "options of another variant",
        "a value the option lacks",
        "the SKU of another variant",
        "the SKU of another product",
        "the SKU of another product's variant",
        "a price in fractions of a cent",
    ],
)
async def test_a_refused_update_variant_changes_nothing(db, as_admin, given, field, code):
    shoe = await create_shoe(as_admin)
    await create_shoe(as_admin, sku="BOOT")
    created(await create_product(as_admin, sku="MUG-1", price="5.00"))
    before, claims_before = await document_of(db, shoe), await sku_claims(db)

    payload = await update_variant(as_admin, shoe["variants"][1]["id"], given)

    assert payload["variant"] is None
    assert without_messages(payload["userErrors"]) == [error(field, code)]
    assert await document_of(db, shoe) == before
    assert await sku_claims(db) == claims_before


# --- deleteVariant -----------------------------------------------------------------------


async def test_deleting_a_variant_takes_its_stock_out_of_the_products_sum(db, as_admin, admin):
    shoe = created(
        await create_product(
            as_admin,
            sku="SHOE",
            options=SHOE_OPTIONS,
            variants=[
                variant_input("SHOE-42-BLK", "59.00", 3, Size="42", Color="Black"),
                variant_input("SHOE-43-BLK", "49.00", 4, Size="43", Color="Black"),
                variant_input("SHOE-44-WHT", "64.00", 5, Size="44", Color="White"),
            ],
        )
    )
    [v42, v43, v44] = shoe["variants"]

    payload = (await as_admin(DELETE_VARIANT, {"id": v43["id"]}))["deleteVariant"]

    assert payload["userErrors"] == []
    assert payload["deletedId"] == v43["id"]
    product = payload["product"]
    assert product["variants"] == [v42, v44]
    assert (product["stock"], product["price"]["amount"]) == (8, "59.00")
    document = await document_of(db, shoe)
    assert [v["sku"] for v in document["variants"]] == ["SHOE-42-BLK", "SHOE-44-WHT"]
    assert document["variantStock"] == {
        str(variant_ids(v42["id"])[1]): 3,
        str(variant_ids(v44["id"])[1]): 5,
    }
    assert (document["stock"], document["price"]) == (8, 5900)
    assert_stock_kept(document)
    movement = (await movements(db))[-1]
    assert (movement["variantId"], movement["delta"], movement["stockAfter"]) == (
        variant_ids(v43["id"])[1],
        -4,
        0,
    )
    assert (movement["reason"], movement["userId"]) == ("deleteVariant", admin.id)


async def test_deleting_the_second_last_variant_makes_a_one_variant_product_again(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    [v42, v43] = shoe["variants"]

    payload = (await as_admin(DELETE_VARIANT, {"id": v42["id"]}))["deleteVariant"]

    product = created(payload)
    assert product["variants"] == [v43]
    assert (product["stock"], product["price"]["amount"]) == (4, "64.00")
    document = await document_of(db, shoe)
    assert "variantStock" not in document
    assert document["stock"] == 4
    assert document["price"] == 6400
    assert_stock_kept(document)
    # With one variant, the product's own ID names it again.
    adjusted = created(await adjust(as_admin, product_id=shoe["id"], delta=-1), "variant")
    assert adjusted == {"id": v43["id"], "stock": 3, "inStock": True}
    assert (await document_of(db, shoe))["stock"] == 3


@pytest.mark.parametrize("with_options", [False, True])
async def test_the_last_variant_is_not_deleted(db, as_admin, with_options):
    if with_options:
        product = created(
            await create_product(
                as_admin,
                sku="TEE",
                options=[{"name": "Size", "values": ["M"]}],
                variants=[variant_input("TEE-M", "19.00", 2, Size="M")],
            )
        )
    else:
        product = created(await create_product(as_admin, sku="MUG-1", price="5.00", stock=2))
    before = await document_of(db, product)
    [variant] = product["variants"]

    payload = (await as_admin(DELETE_VARIANT, {"id": variant["id"]}))["deleteVariant"]

    assert (payload["deletedId"], payload["product"]) == (None, None)
    assert without_messages(payload["userErrors"]) == [error(["id"], "INVALID")]
    assert await document_of(db, product) == before


# --- SKUs given up by a variant or product are free again --------------------------------


@pytest.mark.parametrize("how", ["deleteVariant", "updateVariant", "updateProduct"])
async def test_a_sku_given_up_can_be_taken_by_another_product(db, as_admin, how):
    shoe = await create_shoe(as_admin)
    mug = created(await create_product(as_admin, sku="MUG-1", price="5.00"))
    v43 = shoe["variants"][1]
    if how == "deleteVariant":
        freed = "SHOE-43-BLK"
        created((await as_admin(DELETE_VARIANT, {"id": v43["id"]}))["deleteVariant"])
    elif how == "updateVariant":
        freed = "SHOE-43-BLK"
        created(await update_variant(as_admin, v43["id"], {"sku": "SHOE-43-B"}), "variant")
    else:
        freed = "MUG-1"
        created(
            (await as_admin(UPDATE_PRODUCT, {"id": mug["id"], "input": {"sku": "MUG-2"}}))[
                "updateProduct"
            ]
        )

    other = created(await create_product(as_admin, sku=freed, price="1.00"))

    assert other["sku"] == freed
    assert (await sku_claims(db))[freed] == object_id_of(other["id"])


# --- updateProduct on products with variants ---------------------------------------------


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"price": "10.00"}, ["input", "price"]),
        ({"stock": 1, "expectedStock": 7}, ["input", "stock"]),
    ],
)
async def test_update_product_price_or_stock_of_several_variants_is_refused(
    db, as_admin, given, field
):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    before, movements_before = await document_of(db, shoe), await movements(db)

    payload = (await as_admin(UPDATE_PRODUCT, {"id": shoe["id"], "input": given}))["updateProduct"]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(field, "INVALID")]
    assert "updateVariant" in payload["userErrors"][0]["message"]
    assert await document_of(db, shoe) == before
    assert await movements(db) == movements_before


async def test_updating_a_product_sku_to_another_products_variant_sku_already_exists(db, as_admin):
    shoe = await create_shoe(as_admin)
    mug = created(await create_product(as_admin, sku="MUG-1", price="5.00", stock=2))
    claims_before = await sku_claims(db)

    payload = (await as_admin(UPDATE_PRODUCT, {"id": mug["id"], "input": {"sku": "SHOE-43-BLK"}}))[
        "updateProduct"
    ]

    assert payload["product"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", "sku"], "ALREADY_EXISTS")]
    document = await document_of(db, mug)
    assert document["sku"] == "MUG-1"
    assert document["variants"][0]["sku"] == "MUG-1"
    assert await sku_claims(db) == claims_before
    assert (await document_of(db, shoe))["variants"][1]["sku"] == "SHOE-43-BLK"


@pytest.mark.parametrize("stored_by", ["the API", "another program"])
async def test_update_product_price_of_a_one_variant_product_is_its_variants_price(
    db, as_admin, stored_by
):
    if stored_by == "the API":
        mug = created(await create_product(as_admin, sku="MUG-1", price="5.00", stock=2))
        mug_id = object_id_of(mug["id"])
    else:  # a document without `variants`
        mug_id = (await insert(db, product_document(sku="MUG-1", price=500, stock=2)))["_id"]
        mug = {"id": global_id("Product", mug_id)}

    payload = (await as_admin(UPDATE_PRODUCT, {"id": mug["id"], "input": {"price": "9.99"}}))[
        "updateProduct"
    ]

    product = created(payload)
    assert product["price"]["amount"] == "9.99"
    assert product["priceRange"] == {"min": {"amount": "9.99"}, "max": {"amount": "9.99"}}
    [variant] = product["variants"]
    assert variant["id"] == variant_gid(mug_id, mug_id)
    assert (variant["price"], variant["stock"], variant["sku"]) == ({"amount": "9.99"}, 2, "MUG-1")
    document = await document_of(db, product)
    assert document["price"] == 999
    assert [v["price"] for v in document.get("variants") or [{"price": 999}]] == [999]
    assert document["stock"] == 2
    assert_stock_kept(document)


async def test_update_product_sku_of_a_one_variant_product_changes_its_variant_sku(db, as_admin):
    mug = created(await create_product(as_admin, sku="MUG-1", price="5.00", stock=2))

    payload = (await as_admin(UPDATE_PRODUCT, {"id": mug["id"], "input": {"sku": "MUG-2"}}))[
        "updateProduct"
    ]

    product = created(payload)
    assert product["sku"] == "MUG-2"
    assert [v["sku"] for v in product["variants"]] == ["MUG-2"]
    document = await document_of(db, mug)
    assert document["sku"] == "MUG-2"
    assert [v["sku"] for v in document["variants"]] == ["MUG-2"]
    assert (await sku_claims(db))["MUG-2"] == object_id_of(mug["id"])


async def test_update_product_sku_of_a_product_with_variants_leaves_their_skus(db, as_admin):
    shoe = await create_shoe(as_admin)

    product = created(
        (await as_admin(UPDATE_PRODUCT, {"id": shoe["id"], "input": {"sku": "TRAIL"}}))[
            "updateProduct"
        ]
    )

    assert product["sku"] == "TRAIL"
    assert product["variants"] == shoe["variants"]
    assert (await sku_claims(db))["TRAIL"] == object_id_of(shoe["id"])


async def test_update_product_options_gives_variants_the_first_value_of_a_new_option(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    options = [*SHOE_OPTIONS, {"name": "Width", "values": ["Regular", "Wide"]}]

    product = created(
        (await as_admin(UPDATE_PRODUCT, {"id": shoe["id"], "input": {"options": options}}))[
            "updateProduct"
        ]
    )

    assert product["options"] == options
    assert [(v["title"], v["stock"]) for v in product["variants"]] == [
        ("42 / Black / Regular", 3),
        ("43 / Black / Regular", 4),
    ]
    document = await document_of(db, shoe)
    assert document["variants"][0]["selectedOptions"] == chosen(
        Size="42", Color="Black", Width="Regular"
    )
    assert_stock_kept(document)


async def test_update_product_options_that_would_make_two_variants_alike_is_refused(db, as_admin):
    shoe = await create_shoe(as_admin)
    before = await document_of(db, shoe)

    payload = (
        await as_admin(UPDATE_PRODUCT, {"id": shoe["id"], "input": {"options": [SHOE_OPTIONS[1]]}})
    )["updateProduct"]

    assert payload["product"] is None
    assert payload["userErrors"]
    assert {tuple(e["field"]) for e in payload["userErrors"]} == {("input", "options")}
    assert await document_of(db, shoe) == before
