"""placeOrder names variants: each line orders one variant (or a product that has only one),
and the order keeps the variant's SKU, title and price as they were."""

import base64
from dataclasses import dataclass
from typing import Any

import pytest
from bson import ObjectId

from tests.conftest import Account, account
from tests.factories import global_id, object_id_of
from tests.helpers import (
    add_product,
    all_orders,
    leftover_holds,
    line,
    placed,
    refused,
    stock_of,
)

# --- ordering a variant --------------------------------------------------------------------


async def test_an_order_of_a_variant_keeps_its_sku_title_and_price(db, gql, as_admin, customer):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 5), "42/White": (5900, 4)})
    black = runner.variant("42 / Black")

    order = placed(await place_lines(gql, customer, [variant_line(black, 2)]))

    assert order["items"] == [
        {
            "productId": runner.id,
            "variantId": black.id,
            "variantTitle": "42 / Black",
            "sku": "RUN-42-BLACK",
            "name": "Runner RUN",
            "unitPrice": {"amount": "64.00", "currency": "USD"},
            "quantity": 2,
            "lineTotal": {"amount": "128.00", "currency": "USD"},
            "variant": {"id": black.id, "sku": "RUN-42-BLACK", "stock": 3},
            "product": {"id": runner.id, "stock": 7},
        }
    ]
    assert order["total"] == {"amount": "128.00", "currency": "USD"}
    [stored] = await all_orders(db)
    assert stored["items"] == [
        {
            "productId": runner.oid,
            "variantId": black.oid,
            "variantTitle": "42 / Black",
            "sku": "RUN-42-BLACK",
            "name": "Runner RUN",
            "unitPrice": 6400,
            "quantity": 2,
            "lineTotal": 12800,
        }
    ]
    assert stored["total"] == 12800
    assert await variant_stocks(db, runner) == {"42 / Black": 3, "42 / White": 4}
    assert await leftover_holds(db) == []


async def test_the_order_shows_the_variant_as_it_is_now_and_as_it_was(db, gql, as_admin, customer):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 5), "42/White": (5900, 4)})
    black = runner.variant("42 / Black")
    order = placed(await place_lines(gql, customer, [variant_line(black, 1)]))

    changed = await as_admin(
        UPDATE_VARIANT, {"id": black.id, "input": {"sku": "RUN-42-B", "price": "70.00"}}
    )
    assert changed["updateVariant"]["userErrors"] == [], changed

    body = await gql(ORDER_ITEMS, {"id": order["id"]}, headers=customer.headers)
    assert "errors" not in body, body
    [item] = body["data"]["order"]["items"]
    assert (item["sku"], item["variantTitle"], item["unitPrice"]["amount"]) == (
        "RUN-42-BLACK",
        "42 / Black",
        "64.00",
    )
    assert item["variant"] == {"id": black.id, "sku": "RUN-42-B", "stock": 4}


async def test_a_product_with_one_variant_is_still_ordered_by_its_product_id(db, gql, customer):
    mug = await add_product(db, sku="MUG-1", name="Mug", price=1250, stock=10)
    default_variant = default_variant_id(mug["_id"])

    order = placed(await place_lines(gql, customer, [line(mug, 3)]))

    [item] = order["items"]
    assert item["productId"] == global_id("Product", mug["_id"])
    assert item["variantId"] == default_variant
    assert (item["sku"], item["name"], item["quantity"]) == ("MUG-1", "Mug", 3)
    assert item["unitPrice"]["amount"] == "12.50"
    assert item["variant"] == {"id": default_variant, "sku": "MUG-1", "stock": 7}
    assert item["product"] == {"id": global_id("Product", mug["_id"]), "stock": 7}
    stored = await db.products.find_one({"_id": mug["_id"]})
    assert stored["stock"] == 7
    assert "variantStock" not in stored
    [stored_order] = await all_orders(db)
    [stored_item] = stored_order["items"]
    assert stored_item["productId"] == stored_item["variantId"] == mug["_id"]
    assert (stored_item["sku"], stored_item["unitPrice"]) == ("MUG-1", 1250)


async def test_a_line_of_a_default_variant_has_no_variant_title(db, gql, customer):
    """A product without options: the line is the product, with no variant to name."""
    mug = await add_product(db, sku="MUG-1", stock=10)

    order = placed(await place_lines(gql, customer, [line(mug, 1)]))

    assert [item["variantTitle"] for item in order["items"]] == [None]
    [stored_order] = await all_orders(db)
    assert stored_order["items"][0]["variantTitle"] is None


async def test_a_product_with_one_variant_can_be_ordered_by_either_id(db, gql, customer):
    """Its productId and its default variant's id name the same variant: one line."""
    mug = await add_product(db, price=500, stock=10)
    by_variant = {"variantId": default_variant_id(mug["_id"])}

    order = placed(await place_lines(gql, customer, [line(mug, 2), {**by_variant, "quantity": 3}]))

    assert [(item["quantity"], item["lineTotal"]["amount"]) for item in order["items"]] == [
        (5, "25.00")
    ]
    assert await stock_of(db, mug) == 5


# --- lines the store refuses ---------------------------------------------------------------


async def test_the_product_id_of_a_product_with_several_variants_is_refused(
    db, gql, as_admin, customer
):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 5), "42/White": (5900, 4)})
    mug = await add_product(db, stock=10)

    payload = await place_lines(
        gql,
        customer,
        [line(mug, 1), {"productId": runner.id, "quantity": 1}],
    )

    assert refused(payload) == [{"field": ["input", "items", "1", "productId"], "code": "INVALID"}]
    message = payload["userErrors"][0]["message"]
    assert "variantId" in message and "2 variants" in message, message
    assert await stock_of(db, mug) == 10
    assert await variant_stocks(db, runner) == {"42 / Black": 5, "42 / White": 4}
    assert await all_orders(db) == []


@pytest.mark.parametrize("ids", ["both", "neither"])
async def test_a_line_names_exactly_one_of_product_id_and_variant_id(db, gql, customer, ids):
    mug = await add_product(db, stock=10)
    default_variant = default_variant_id(mug["_id"])
    given = {"productId": line(mug, 1)["productId"], "variantId": default_variant}
    item = {**(given if ids == "both" else {}), "quantity": 1}

    payload = await place_lines(gql, customer, [line(mug, 1), item])

    assert refused(payload) == [{"field": ["input", "items", "1", "variantId"], "code": "INVALID"}]
    assert "exactly one" in payload["userErrors"][0]["message"]
    assert await stock_of(db, mug) == 10
    assert await all_orders(db) == []


@pytest.mark.parametrize("unknown", ["variant", "product"])
async def test_an_unknown_variant_is_not_found(db, gql, as_admin, customer, unknown):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 5), "42/White": (5900, 4)})
    product_id = runner.oid if unknown == "variant" else ObjectId()
    missing = global_id("ProductVariant", f"{product_id}:{ObjectId()}")

    payload = await place_lines(
        gql,
        customer,
        [variant_line(runner.variant("42 / Black"), 1), {"variantId": missing, "quantity": 1}],
    )

    assert refused(payload) == [
        {"field": ["input", "items", "1", "variantId"], "code": "NOT_FOUND"}
    ]
    assert await variant_stocks(db, runner) == {"42 / Black": 5, "42 / White": 4}
    assert await all_orders(db) == []


async def test_a_product_id_given_as_a_variant_id_is_invalid(db, gql, customer):
    mug = await add_product(db, stock=10)

    payload = await place_lines(
        gql, customer, [{"variantId": line(mug, 1)["productId"], "quantity": 1}]
    )

    assert refused(payload) == [{"field": ["input", "items", "0", "variantId"], "code": "INVALID"}]
    assert await stock_of(db, mug) == 10


# --- repeated lines ------------------------------------------------------------------------


async def test_lines_of_the_same_variant_are_merged(db, gql, as_admin, customer):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (6400, 10), "42/White": (5900, 10)})
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")

    order = placed(
        await place_lines(
            gql, customer, [variant_line(black, 2), variant_line(white, 1), variant_line(black, 3)]
        )
    )

    quantities = {item["variantId"]: item["quantity"] for item in order["items"]}
    assert quantities == {black.id: 5, white.id: 1}
    assert len(order["items"]) == 2
    assert order["total"]["amount"] == "379.00"  # 5 x 64.00 + 59.00
    assert await variant_stocks(db, runner) == {"42 / Black": 5, "42 / White": 9}
    [stored] = await all_orders(db)
    assert sorted((item["variantTitle"], item["quantity"]) for item in stored["items"]) == [
        ("42 / Black", 5),
        ("42 / White", 1),
    ]
    assert stored["total"] == 37900


async def test_the_line_quantity_limit_applies_to_the_merged_line(db, gql, as_admin, customer):
    runner = await add_shoe(as_admin, "RUN", {"42/Black": (100, 500), "42/White": (100, 500)})
    black, white = runner.variant("42 / Black"), runner.variant("42 / White")

    payload = await place_lines(
        gql, customer, [variant_line(white, 60), variant_line(black, 60), variant_line(black, 41)]
    )

    # 60 + 41 of one variant is over the limit of 100 per line; 60 of the other is not.
    assert refused(payload) == [{"field": ["input", "items", "1", "quantity"], "code": "INVALID"}]
    assert "at most 100" in payload["userErrors"][0]["message"]
    assert await variant_stocks(db, runner) == {"42 / Black": 500, "42 / White": 500}
    assert await all_orders(db) == []

    # Up to the limit together is fine.
    order = placed(
        await place_lines(gql, customer, [variant_line(black, 60), variant_line(black, 40)])
    )
    assert [item["quantity"] for item in order["items"]] == [100]
    assert await variant_stocks(db, runner) == {"42 / Black": 400, "42 / White": 500}


async def test_a_product_id_line_and_its_default_variant_line_share_the_limit(db, gql, customer):
    mug = await add_product(db, stock=500)
    by_variant = {"variantId": default_variant_id(mug["_id"])}

    payload = await place_lines(gql, customer, [line(mug, 60), {**by_variant, "quantity": 41}])

    assert [error["code"] for error in payload["userErrors"]] == ["INVALID"]
    assert payload["order"] is None
    assert "at most 100" in payload["userErrors"][0]["message"]
    assert await stock_of(db, mug) == 500
    assert await all_orders(db) == []


# --- helpers: products with variants, and orders of them ----------------------------------

ITEM_FIELDS = """
  productId variantId variantTitle sku name quantity
  unitPrice { amount currency } lineTotal { amount currency }
  variant { id sku stock } product { id stock }
"""
PLACE_LINES = f"""mutation Place($input: PlaceOrderInput!) {{
  placeOrder(input: $input) {{
    order {{ id number status items {{ {ITEM_FIELDS} }} total {{ amount currency }} }}
    userErrors {{ field message code }}
  }}
}}"""
ORDER_ITEMS = f"query One($id: ID!) {{ order(id: $id) {{ items {{ {ITEM_FIELDS} }} }} }}"
CREATE_WITH_VARIANTS = """mutation Create($input: ProductCreateInput!) {
  createProduct(input: $input) {
    product { id sku stock variants { id sku title stock } }
    userErrors { field message code }
  }
}"""
UPDATE_VARIANT = """mutation Change($id: ID!, $input: VariantUpdateInput!) {
  updateVariant(id: $id, input: $input) { variant { id sku } userErrors { field message code } }
}"""


@dataclass(frozen=True)
class Variant:
    id: str  # global ID
    oid: ObjectId
    sku: str
    title: str


@dataclass(frozen=True)
class Shoe:
    """A product created through the API with options Size and Colour, and its variants."""

    id: str
    oid: ObjectId
    sku: str
    variants: tuple[Variant, ...]

    def variant(self, title: str) -> Variant:
        [found] = [variant for variant in self.variants if variant.title == title]
        return found


def variant_object_id(variant_global_id: str) -> ObjectId:
    """The variant's own ObjectId in a `ProductVariant:<product id>:<variant id>` global ID."""
    type_name, _, raw = base64.b64decode(variant_global_id).decode().partition(":")
    assert type_name == "ProductVariant", variant_global_id
    return ObjectId(raw.partition(":")[2])


def default_variant_id(product_id: ObjectId) -> str:
    """The global ID of a product's default variant, whose id is the product's."""
    return global_id("ProductVariant", f"{product_id}:{product_id}")


async def add_shoe(as_admin, sku: str, variants: dict[str, tuple[int, int]]) -> Shoe:
    """`variants`: "42/Black" -> (price in cents, stock); SKUs are "<sku>-42-BLACK"."""
    sizes = list(dict.fromkeys(key.split("/")[0] for key in variants))
    colours = list(dict.fromkeys(key.split("/")[1] for key in variants))
    data = await as_admin(
        CREATE_WITH_VARIANTS,
        {
            "input": {
                "sku": sku,
                "name": f"Runner {sku}",
                "options": [
                    {"name": "Size", "values": sizes},
                    {"name": "Colour", "values": colours},
                ],
                "variants": [
                    {
                        "sku": f"{sku}-{size}-{colour.upper()}",
                        "price": f"{price / 100:.2f}",
                        "stock": stock,
                        "selectedOptions": [
                            {"name": "Size", "value": size},
                            {"name": "Colour", "value": colour},
                        ],
                    }
                    for (size, colour), (price, stock) in (
                        (key.split("/"), value) for key, value in variants.items()
                    )
                ],
            }
        },
    )
    payload = data["createProduct"]
    assert payload["userErrors"] == [], payload
    product = payload["product"]
    return Shoe(
        id=product["id"],
        oid=object_id_of(product["id"]),
        sku=product["sku"],
        variants=tuple(
            Variant(v["id"], variant_object_id(v["id"]), v["sku"], v["title"])
            for v in product["variants"]
        ),
    )


def variant_line(variant: Variant, quantity: int) -> dict[str, Any]:
    return {"variantId": variant.id, "quantity": quantity}


async def place_lines(gql, who: Account, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The `placeOrder` payload, with the variant fields of its items."""
    body = await gql(PLACE_LINES, {"input": {"items": items}}, headers=who.headers)
    assert "errors" not in body, body
    return body["data"]["placeOrder"]


async def variant_stocks(db, shoe: Shoe) -> dict[str, int]:
    """Each variant's stock by title, as stored; the product's `stock` must be their sum."""
    document = await db.products.find_one({"_id": shoe.oid})
    assert document is not None
    by_id = document["variantStock"]
    assert document["stock"] == sum(by_id.values()), document
    return {variant.title: by_id[str(variant.oid)] for variant in shoe.variants}


async def customers(db, client, count: int, prefix: str = "buyer") -> list[Account]:
    """`count` customers who logged in through the API."""
    return [await account(db, client, f"{prefix}-{n}@shop.test", "CUSTOMER") for n in range(count)]
