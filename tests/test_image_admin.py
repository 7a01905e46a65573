"""Admins describe, reorder and delete images and pick a variant's; images go with their
product; storefront reads of images cost one query per page, not one per product."""

import asyncio

from bson import ObjectId

from tests.factories import global_id
from tests.helpers import add_product, gid, without_messages
from tests.images_harness import picture, stored_files, stored_images, upload, uploaded

PRODUCT_IMAGES = """query($id: ID!) { product(id: $id) {
  images { id altText url(width: 64) }
  variants { id title image { id } }
} }"""
UPDATE = """mutation($id: ID!, $altText: String, $position: Int) {
  updateProductImage(id: $id, altText: $altText, position: $position) {
    image { id altText } product { images { id } } userErrors { field message code } } }"""
DELETE = """mutation($id: ID!) { deleteProductImage(id: $id) {
  deletedId product { images { id } } userErrors { field message code } } }"""
SET_VARIANT_IMAGE = """mutation($variantId: ID!, $imageId: ID) {
  setVariantImage(variantId: $variantId, imageId: $imageId) {
    variant { title image { id } } product { sku } userErrors { field message code } } }"""
CREATE_SHOE = """mutation($input: ProductCreateInput!) { createProduct(input: $input) {
  product { id variants { id title } } userErrors { message } } }"""


async def images_of(client, admin, product_id: str) -> dict:
    response = await client.post(
        "/graphql",
        json={"query": PRODUCT_IMAGES, "variables": {"id": product_id}},
        headers=admin.headers,
    )
    return response.json()["data"]["product"]


async def add_images(client, admin, product_id: str, count: int) -> list[str]:
    ids = []
    for n in range(count):
        payload = uploaded(
            await upload(
                client, product_id, picture((200, 150), colour=(n * 40, 0, 0)),
                headers=admin.headers, alt_text=f"picture {n}",
            )
        )  # fmt: skip
        ids.append(payload["image"]["id"])
    return ids


async def create_shoe(as_admin, sku: str = "SHOE") -> dict:
    variants = [
        {"sku": f"{sku}-{size}", "price": "50", "stock": 1,
         "selectedOptions": [{"name": "Size", "value": size}]}
        for size in ("41", "42")
    ]  # fmt: skip
    input = {
        "sku": sku,
        "name": "Shoe",
        "options": [{"name": "Size", "values": ["41", "42"]}],
        "variants": variants,
    }
    payload = (await as_admin(CREATE_SHOE, {"input": input}))["createProduct"]
    assert payload["userErrors"] == [], payload
    return payload["product"]


async def test_an_image_is_described_and_moved_among_its_products_images(
    client, db, admin, as_admin, mug
):
    first, second, third = await add_images(client, admin, gid(mug), 3)

    described = (await as_admin(UPDATE, {"id": second, "altText": "  The handle  "}))[
        "updateProductImage"
    ]
    moved = (await as_admin(UPDATE, {"id": third, "position": 0}))["updateProductImage"]

    assert described["image"] == {"id": second, "altText": "The handle"}
    assert moved["image"] == {"id": third, "altText": "picture 2"}  # left as it was
    assert moved["product"]["images"] == [{"id": third}, {"id": first}, {"id": second}]
    images = await images_of(client, admin, gid(mug))
    assert [image["id"] for image in images["images"]] == [third, first, second]
    cleared = (await as_admin(UPDATE, {"id": second, "altText": None}))["updateProductImage"]
    assert cleared["image"]["altText"] is None
    stored = sorted(await stored_images(db, mug["_id"]), key=lambda image: image["position"])
    assert [image["altText"] for image in stored] == ["picture 2", "picture 0", None]


async def test_updates_that_cannot_apply_are_user_errors(client, admin, as_admin, mug):
    [image] = await add_images(client, admin, gid(mug), 1)
    unknown = global_id("Image", ObjectId())

    out_of_range = (await as_admin(UPDATE, {"id": image, "position": 1}))["updateProductImage"]
    too_long = (await as_admin(UPDATE, {"id": image, "altText": "x" * 501}))["updateProductImage"]
    bad_id = (await as_admin(UPDATE, {"id": gid(mug), "altText": "x"}))["updateProductImage"]
    missing = (await as_admin(DELETE, {"id": unknown}))["deleteProductImage"]

    assert without_messages(out_of_range["userErrors"]) == [
        {"field": ["position"], "code": "INVALID"}
    ]
    assert "from 0 to 0" in out_of_range["userErrors"][0]["message"]
    assert without_messages(too_long["userErrors"]) == [{"field": ["altText"], "code": "INVALID"}]
    assert without_messages(bad_id["userErrors"]) == [{"field": ["id"], "code": "INVALID"}]
    assert without_messages(missing["userErrors"]) == [{"field": ["id"], "code": "NOT_FOUND"}]


async def test_a_deleted_image_takes_its_files_and_its_variants_choice_with_it(
    client, db, admin, as_admin
):
    shoe = await create_shoe(as_admin)
    kept, deleted = await add_images(client, admin, shoe["id"], 2)
    size_41 = shoe["variants"][0]["id"]
    await as_admin(SET_VARIANT_IMAGE, {"variantId": size_41, "imageId": deleted})
    for image in (await images_of(client, admin, shoe["id"]))["images"]:
        assert (await client.get(image["url"])).status_code == 200  # a rendition of each
    assert len(await stored_files(db)) == 4

    payload = (await as_admin(DELETE, {"id": deleted}))["deleteProductImage"]

    assert payload["userErrors"] == []
    assert payload["deletedId"] == deleted
    assert payload["product"]["images"] == [{"id": kept}]
    [remaining] = await stored_images(db)
    [rendition] = remaining["renditions"].values()
    assert await stored_files(db) == sorted([remaining["blob"], rendition["blob"]])
    assert await db.variant_images.find({}).to_list() == []
    shown = await images_of(client, admin, shoe["id"])
    assert [variant["image"] for variant in shown["variants"]] == [None, None]
    again = (await as_admin(DELETE, {"id": deleted}))["deleteProductImage"]
    assert without_messages(again["userErrors"]) == [{"field": ["id"], "code": "NOT_FOUND"}]


async def test_a_variant_shows_one_of_its_products_images(client, db, admin, as_admin, mug):
    shoe = await create_shoe(as_admin)
    side, top = await add_images(client, admin, shoe["id"], 2)
    [mugs] = await add_images(client, admin, gid(mug), 1)
    size_41, size_42 = (variant["id"] for variant in shoe["variants"])

    chosen = (await as_admin(SET_VARIANT_IMAGE, {"variantId": size_42, "imageId": top}))[
        "setVariantImage"
    ]
    changed = (await as_admin(SET_VARIANT_IMAGE, {"variantId": size_42, "imageId": side}))[
        "setVariantImage"
    ]
    foreign = (await as_admin(SET_VARIANT_IMAGE, {"variantId": size_41, "imageId": mugs}))[
        "setVariantImage"
    ]

    assert chosen["variant"] == {"title": "42", "image": {"id": top}}
    assert chosen["product"] == {"sku": "SHOE"}
    assert changed["variant"]["image"] == {"id": side}
    assert without_messages(foreign["userErrors"]) == [{"field": ["imageId"], "code": "NOT_FOUND"}]
    shown = await images_of(client, admin, shoe["id"])
    assert [variant["image"] for variant in shown["variants"]] == [None, {"id": side}]
    cleared = (await as_admin(SET_VARIANT_IMAGE, {"variantId": size_42}))["setVariantImage"]
    assert cleared["variant"]["image"] is None
    assert await db.variant_images.find({}).to_list() == []
    not_a_variant = (await as_admin(SET_VARIANT_IMAGE, {"variantId": gid(mug), "imageId": top}))[
        "setVariantImage"
    ]
    assert without_messages(not_a_variant["userErrors"]) == [
        {"field": ["variantId"], "code": "INVALID"}
    ]


async def test_a_deleted_product_takes_its_images_and_files_with_it(
    client, db, admin, as_admin, mug
):
    other = await add_product(db)
    shown, _ = await add_images(client, admin, gid(mug), 2)
    [kept] = await add_images(client, admin, gid(other), 1)
    default_variant = global_id("ProductVariant", f"{mug['_id']}:{mug['_id']}")
    await as_admin(SET_VARIANT_IMAGE, {"variantId": default_variant, "imageId": shown})
    assert len(await db.variant_images.find({}).to_list()) == 1
    for image in (await images_of(client, admin, gid(mug)))["images"]:
        assert (await client.get(image["url"])).status_code == 200  # a rendition of each
    delete = "mutation($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }"

    assert (await as_admin(delete, {"id": gid(mug)}))["deleteProduct"]["userErrors"] == []

    [remaining] = await stored_images(db)
    assert remaining["productId"] == other["_id"]
    assert await stored_files(db) == [remaining["blob"]]
    assert await db.variant_images.find({}).to_list() == []
    assert [image["id"] for image in (await images_of(client, admin, gid(other)))["images"]] == [
        kept
    ]


async def test_images_are_refetched_by_id_and_hidden_with_their_product(
    client, db, admin, customer, mug
):
    hidden = await add_product(db, active=False)
    [shown_id] = await add_images(client, admin, gid(mug), 1)
    [hidden_id] = await add_images(client, admin, gid(hidden), 1)
    query = "query($id: ID!) { node(id: $id) { id ... on Image { altText width } } }"

    async def node(image_id: str, headers: dict) -> dict | None:
        body = (
            await client.post(
                "/graphql", json={"query": query, "variables": {"id": image_id}}, headers=headers
            )
        ).json()
        return body["data"]["node"]

    assert await node(shown_id, {}) == {"id": shown_id, "altText": "picture 0", "width": 200}
    assert await node(hidden_id, customer.headers) is None
    assert (await node(hidden_id, admin.headers))["id"] == hidden_id


async def test_image_mutations_are_for_admins(client, customer, admin, mug):
    [image] = await add_images(client, admin, gid(mug), 1)
    for query, variables in (
        (UPDATE, {"id": image, "altText": "mine"}),
        (DELETE, {"id": image}),
        (SET_VARIANT_IMAGE, {"variantId": gid(mug), "imageId": image}),
    ):
        body = (
            await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers=customer.headers,
            )
        ).json()
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]


async def test_a_page_of_products_reads_their_images_in_one_query(
    client, db, command_log, admin, as_admin
):
    shoes = [await create_shoe(as_admin, f"SHOE-{n}") for n in range(3)]
    others = [await add_product(db) for _ in range(17)]
    for shoe in shoes:
        [image] = await add_images(client, admin, shoe["id"], 1)
        variant = shoe["variants"][1]["id"]
        await as_admin(SET_VARIANT_IMAGE, {"variantId": variant, "imageId": image})
    await asyncio.gather(*(add_images(client, admin, gid(product), 2) for product in others[:5]))
    query = """{ products(first: 20) { edges { node { sku
      images { url(width: 200) altText }
      variants { image { url(width: 100) } } } } } }"""
    command_log.clear()

    body = (await client.post("/graphql", json={"query": query})).json()

    nodes = [edge["node"] for edge in body["data"]["products"]["edges"]]
    assert len(nodes) == 20
    assert sum(len(node["images"]) for node in nodes) == 3 + 5 * 2
    assert sum(1 for node in nodes for v in node["variants"] if v["image"]) == 3
    finds = [command["find"] for command in command_log.named("find")]
    assert finds.count("product_images") == 1
    assert finds.count("variant_images") == 1
