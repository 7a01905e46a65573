"""A variant's global ID: bad ones are refused by every mutation that takes one, and good
ones refetch the variant through node(id), for whoever may see its product.

Vocabulary and helpers: tests/test_variants_admin.py.
"""

import pytest
from bson import ObjectId

from tests.factories import global_id, object_id_of
from tests.helpers import error, movements, without_messages
from tests.test_variants_admin import (
    DELETE_VARIANT,
    UPDATE_PRODUCT,
    VARIANT_FIELDS,
    adjust,
    create_product,
    create_shoe,
    created,
    document_of,
    update_variant,
    variant_gid,
)

# --- a variant's ID: bad ones are refused, good ones refetch it ---------------------------

BAD_VARIANT_IDS = [
    "nonsense",
    global_id("Product", "0" * 24),
    global_id("ProductVariant", "0" * 24),
    global_id("ProductVariant", "123:456"),
]


@pytest.mark.parametrize("bad_id", BAD_VARIANT_IDS)
@pytest.mark.parametrize("mutation", ["updateVariant", "deleteVariant", "adjustStock"])
async def test_a_bad_variant_id_is_invalid(db, as_admin, mutation, bad_id):
    shoe = await create_shoe(as_admin)
    before, movements_before = await document_of(db, shoe), await movements(db)

    if mutation == "updateVariant":
        payload, field = await update_variant(as_admin, bad_id, {"price": "1.00"}), ["id"]
    elif mutation == "deleteVariant":
        payload = (await as_admin(DELETE_VARIANT, {"id": bad_id}))["deleteVariant"]
        field = ["id"]
    else:
        payload, field = await adjust(as_admin, variant_id=bad_id, delta=1), ["variantId"]

    assert without_messages(payload["userErrors"]) == [error(field, "INVALID")]
    assert await document_of(db, shoe) == before
    assert await movements(db) == movements_before


NODE = f"""query Node($id: ID!) {{
  node(id: $id) {{
    __typename
    ... on ProductVariant {{ {VARIANT_FIELDS} product {{ id sku stock variants {{ id }} }} }}
  }}
}}"""


@pytest.mark.parametrize("who", ["anonymous", "customer"])
async def test_node_refetches_a_variant_with_its_product(db, gql, as_admin, customer, who):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    mug = created(await create_product(as_admin, sku="MUG-1", price="5.00", stock=2))
    headers = customer.headers if who == "customer" else None

    for product, variant in [(shoe, shoe["variants"][1]), (mug, mug["variants"][0])]:
        body = await gql(NODE, {"id": variant["id"]}, headers=headers)
        assert "errors" not in body, body
        assert body["data"]["node"] == {
            "__typename": "ProductVariant",
            **variant,
            "product": {
                "id": product["id"],
                "sku": product["sku"],
                "stock": product["stock"],
                "variants": [{"id": v["id"]} for v in product["variants"]],
            },
        }


async def test_node_of_a_missing_or_deleted_variant_is_null(db, gql, as_admin):
    shoe = await create_shoe(as_admin)
    deleted = shoe["variants"][0]["id"]
    created((await as_admin(DELETE_VARIANT, {"id": deleted}))["deleteVariant"])
    missing = [
        deleted,
        variant_gid(object_id_of(shoe["id"]), ObjectId()),
        variant_gid(ObjectId(), ObjectId()),
    ]

    for variant_id in missing:
        body = await gql(NODE, {"id": variant_id})
        assert body == {"data": {"node": None}}, variant_id


async def test_node_of_a_variant_of_an_inactive_product_is_null_except_for_admins(
    db, gql, as_admin, admin, customer
):
    shoe = await create_shoe(as_admin)
    created(
        (await as_admin(UPDATE_PRODUCT, {"id": shoe["id"], "input": {"active": False}}))[
            "updateProduct"
        ]
    )
    variant_id = shoe["variants"][0]["id"]

    assert await gql(NODE, {"id": variant_id}) == {"data": {"node": None}}
    assert await gql(NODE, {"id": variant_id}, headers=customer.headers) == {"data": {"node": None}}
    seen = await gql(NODE, {"id": variant_id}, headers=admin.headers)
    assert seen["data"]["node"]["id"] == variant_id
    assert seen["data"]["node"]["product"]["id"] == shoe["id"]
