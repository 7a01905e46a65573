"""adjustStock of a variant, or of a product that has one: the variant's stock and the
product's sum move together, never below zero, and every change is in the ledger.

Vocabulary and helpers: tests/test_variants_admin.py. Races: tests/test_variants_admin_races.py.
"""

import pytest
from bson import ObjectId

from tests.factories import object_id_of
from tests.helpers import error, movements, without_messages
from tests.test_variants_admin import (
    adjust,
    create_product,
    create_shoe,
    created,
    document_of,
    variant_gid,
    variant_ids,
)

# --- adjustStock of a variant ------------------------------------------------------------


async def test_adjust_stock_of_a_variant_changes_it_and_the_products_sum(db, as_admin, admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    [v42, v43] = shoe["variants"]

    payload = await adjust(as_admin, variant_id=v42["id"], delta=5, reason="delivery")

    assert payload == {
        "product": {"id": shoe["id"], "stock": 12, "inStock": True},
        "variant": {"id": v42["id"], "stock": 8, "inStock": True},
        "userErrors": [],
    }
    document = await document_of(db, shoe)
    assert document["variantStock"] == {
        str(variant_ids(v42["id"])[1]): 8,
        str(variant_ids(v43["id"])[1]): 4,
    }
    assert document["stock"] == 12
    # The ledger names the variant and its stock after the change, not the product's.
    movement = (await movements(db))[-1]
    assert (movement["productId"], movement["variantId"]) == variant_ids(v42["id"])
    assert (movement["delta"], movement["stockAfter"], movement["reason"]) == (5, 8, "delivery")
    assert movement["userId"] == admin.id


async def test_adjust_stock_of_a_variant_never_goes_below_zero(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    before, movements_before = await document_of(db, shoe), await movements(db)

    payload = await adjust(as_admin, variant_id=shoe["variants"][0]["id"], delta=-4)

    assert (payload["product"], payload["variant"]) == (None, None)
    assert without_messages(payload["userErrors"]) == [error(["delta"], "OUT_OF_STOCK")]
    assert "3" in payload["userErrors"][0]["message"]
    assert await document_of(db, shoe) == before
    assert await movements(db) == movements_before


@pytest.mark.parametrize("by", ["productId", "variantId"])
async def test_adjust_stock_of_a_one_variant_product_by_either_id(db, as_admin, by):
    mug = created(await create_product(as_admin, sku="MUG-1", price="5.00", stock=5))
    mug_id = object_id_of(mug["id"])
    ids = (
        {"product_id": mug["id"]} if by == "productId" else {"variant_id": mug["variants"][0]["id"]}
    )

    payload = await adjust(as_admin, delta=-2, **ids)

    assert payload == {
        "product": {"id": mug["id"], "stock": 3, "inStock": True},
        "variant": {"id": variant_gid(mug_id, mug_id), "stock": 3, "inStock": True},
        "userErrors": [],
    }
    document = await document_of(db, mug)
    assert document["stock"] == 3
    assert "variantStock" not in document
    movement = (await movements(db))[-1]
    assert (movement["variantId"], movement["delta"], movement["stockAfter"]) == (mug_id, -2, 3)


async def test_adjust_stock_by_product_id_of_several_variants_is_refused(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    before, movements_before = await document_of(db, shoe), await movements(db)

    payload = await adjust(as_admin, product_id=shoe["id"], delta=1)

    assert (payload["product"], payload["variant"]) == (None, None)
    assert without_messages(payload["userErrors"]) == [error(["productId"], "INVALID")]
    assert "variantId" in payload["userErrors"][0]["message"]
    assert await document_of(db, shoe) == before
    assert await movements(db) == movements_before


@pytest.mark.parametrize("given", ["both", "neither"])
async def test_adjust_stock_takes_exactly_one_of_the_two_ids(db, as_admin, given):
    mug = created(await create_product(as_admin, sku="MUG-1", price="5.00", stock=5))
    ids = (
        {"product_id": mug["id"], "variant_id": mug["variants"][0]["id"]} if given == "both" else {}
    )
    before, movements_before = await document_of(db, mug), await movements(db)

    payload = await adjust(as_admin, delta=1, **ids)

    assert payload["product"] is None
    assert [entry["code"] for entry in payload["userErrors"]] == ["INVALID"]
    assert payload["userErrors"][0]["field"] in (["productId"], ["variantId"])
    assert await document_of(db, mug) == before
    assert await movements(db) == movements_before


async def test_adjust_stock_of_a_missing_variant_is_not_found(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    before = await document_of(db, shoe)
    missing = [
        variant_gid(object_id_of(shoe["id"]), ObjectId()),
        variant_gid(ObjectId(), ObjectId()),
    ]

    for variant_id in missing:
        payload = await adjust(as_admin, variant_id=variant_id, delta=1)
        assert payload["product"] is None
        assert without_messages(payload["userErrors"]) == [error(["variantId"], "NOT_FOUND")]
    assert await document_of(db, shoe) == before
