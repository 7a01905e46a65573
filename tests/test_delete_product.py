"""deleteProduct: the product is gone from every lookup and its SKU is free again."""

import pytest

from tests.factories import global_id, product_document
from tests.helpers import CREATE_PRODUCT as CREATE
from tests.helpers import DELETE_PRODUCT as DELETE
from tests.helpers import VALID_PRODUCT as VALID
from tests.helpers import error, gid, stored, without_messages

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
