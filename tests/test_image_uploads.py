"""Uploading product images through the real multipart endpoint: what is accepted, what is
refused (and leaves nothing stored), what is stripped, and who may upload."""

import asyncio
import io
import os

from PIL import Image

from tests.helpers import add_product, gid, without_messages
from tests.images_harness import (
    PREFLIGHT,
    SVG,
    app_and_client,
    picture,
    png_claiming,
    stored_files,
    stored_images,
    upload,
    uploaded,
)


async def served(client, url: str, accept: str = "image/jpeg,image/png") -> Image.Image:
    response = await client.get(url, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


async def assert_nothing_stored(db) -> None:
    assert await stored_images(db) == []
    assert await stored_files(db) == []


# --- what is accepted -------------------------------------------------------------------


async def test_an_admin_uploads_a_jpeg_and_the_product_shows_it(client, db, admin, mug):
    payload = uploaded(
        await upload(client, gid(mug), picture((640, 480)), headers=admin.headers, alt_text="Mug")
    )

    assert payload["userErrors"] == []
    image = payload["image"]
    assert (image["width"], image["height"], image["format"]) == (640, 480, "JPEG")
    assert image["altText"] == "Mug"
    assert payload["product"] == {"sku": "MUG-1", "images": [{"id": image["id"]}]}
    [document] = await stored_images(db, mug["_id"])
    assert (document["width"], document["height"], document["format"]) == (640, 480, "JPEG")
    assert await stored_files(db) == [document["blob"]]
    opened = await served(client, image["url"])
    assert (opened.format, opened.size) == ("JPEG", (640, 480))


async def test_png_with_transparency_and_webp_keep_their_format(client, db, admin, mug):
    png = uploaded(
        await upload(
            client, gid(mug), picture((50, 30), "PNG", (0, 90, 0, 128)), headers=admin.headers
        )
    )
    webp = uploaded(
        await upload(client, gid(mug), picture((40, 60), "WEBP"), headers=admin.headers)
    )

    assert png["image"]["format"] == "PNG"
    assert webp["image"]["format"] == "WEBP"
    opened = await served(client, png["image"]["url"])
    assert (opened.format, opened.mode, opened.size) == ("PNG", "RGBA", (50, 30))
    assert opened.getpixel((45, 25)) == (0, 90, 0, 128)
    assert [image["id"] for image in webp["product"]["images"]] == [
        png["image"]["id"],
        webp["image"]["id"],
    ]


async def test_the_type_comes_from_the_bytes_not_the_name_or_the_header(client, admin, mug):
    response = await upload(
        client, gid(mug), picture((30, 30), "PNG"), headers=admin.headers,
        filename="holiday.jpg", content_type="image/jpeg",
    )  # fmt: skip

    assert uploaded(response)["image"]["format"] == "PNG"


# --- what is refused, leaving nothing stored ---------------------------------------------


async def refusal(client, db, admin, product, data: bytes, **upload_options) -> dict:
    payload = uploaded(
        await upload(client, gid(product), data, headers=admin.headers, **upload_options)
    )
    assert payload["image"] is None
    [error] = payload["userErrors"]
    await assert_nothing_stored(db)
    return error


async def test_a_file_named_jpg_that_is_no_accepted_image_is_refused(client, db, admin, mug):
    gif = picture((20, 20), "GIF", (1, 2, 3))
    text = b"just some text that calls itself a JPEG"

    for data in (gif, text):
        error = await refusal(client, db, admin, mug, data, filename="photo.jpg")
        assert (error["field"], error["code"]) == (["file"], "INVALID")
        assert "not a JPEG, PNG or WebP image" in error["message"]


async def test_an_svg_is_refused_whatever_it_is_called(client, db, admin, mug):
    for filename, content_type in (("logo.svg", "image/svg+xml"), ("logo.png", "image/png")):
        error = await refusal(
            client, db, admin, mug, SVG, filename=filename, content_type=content_type
        )
        assert error["field"] == ["file"]
        assert "SVG" in error["message"]


async def test_a_file_over_the_byte_limit_is_refused(app_with, make_settings, db, admin, mug):
    noise = Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    large = out.getvalue()
    assert len(large) > 100_000

    async with app_with(make_settings(max_image_bytes=50_000)) as http:
        error = await refusal(http, db, admin, mug, large)
        huge = await upload(http, gid(mug), large * 3, headers=admin.headers)

    assert error["field"] == ["file"]
    assert "larger than 50,000 bytes" in error["message"]
    # Past the upload's body limit (the file and the operation), the request is refused whole.
    assert huge.status_code == 413
    await assert_nothing_stored(db)


async def test_a_pixel_bomb_is_refused_from_its_header_before_decoding(client, db, admin, mug):
    """The file holds a few rows; decoding it would fail on the missing ones. The answer
    names its size in pixels: it was refused before any row was read."""
    bomb = png_claiming(8_000, 8_000)
    assert len(bomb) < 200
    assert Image.open(io.BytesIO(bomb)).size == (8_000, 8_000)

    error = await refusal(client, db, admin, mug, bomb)

    assert error["field"] == ["file"]
    assert "8000 x 8000 pixels" in error["message"]
    far_larger = await refusal(client, db, admin, mug, png_claiming(200_000, 200_000))
    assert far_larger["field"] == ["file"]


async def test_a_broken_image_is_refused(client, db, admin, mug):
    whole = picture((300, 300))
    error = await refusal(client, db, admin, mug, whole[: len(whole) // 2])

    assert error["field"] == ["file"]
    assert "could not be" in error["message"]


async def test_a_cross_site_form_post_cannot_upload(app_with, make_settings, db, admin, mug):
    """A page on another site can make a browser post multipart/form-data (an HTML form),
    but cannot add a header without a CORS preflight. Without the header the request is
    refused before it is read, even with an admin's token a form could never carry."""
    async with app_with(make_settings(cors_origins=["https://shop.example"])) as http:
        forged = await upload(
            http, gid(mug), picture(), preflight=False,
            headers={**admin.headers, "Origin": "https://evil.example"},
        )  # fmt: skip
        preflight = await http.options(
            "/graphql",
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,apollo-require-preflight",
            },
        )
        from_the_shop = await upload(
            http, gid(mug), picture(), headers={**admin.headers, "Origin": "https://shop.example"}
        )

    assert forged.status_code == 400
    assert "Apollo-Require-Preflight" in forged.text
    assert preflight.status_code == 200
    assert "apollo-require-preflight" in preflight.headers["access-control-allow-headers"].lower()
    assert uploaded(from_the_shop)["userErrors"] == []
    assert len(await stored_images(db)) == 1


async def test_a_multipart_request_that_is_not_one_gets_400(client, admin):
    """multipart/form-data is read only as the GraphQL multipart request specification has
    it (see tests/test_protection.py for the content types never read)."""
    body = b'{"query": "{ __typename }"}'
    for headers in ({}, PREFLIGHT):
        response = await client.post(
            "/graphql",
            content=body,
            headers={**admin.headers, **headers, "Content-Type": "multipart/form-data; boundary=x"},
        )
        assert response.status_code == 400, response.text
        assert "Traceback" not in response.text


async def test_a_file_cannot_come_in_json_variables(client, db, admin, mug):
    query = """mutation($p: ID!, $f: Upload!) {
      uploadProductImage(productId: $p, file: $f) { userErrors { code } } }"""
    variables = {"p": gid(mug), "f": "aGVsbG8="}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=admin.headers
    )

    [error] = response.json()["errors"]
    assert "multipart request" in error["message"]
    await assert_nothing_stored(db)


# --- what is kept of a file ---------------------------------------------------------------


async def test_exif_and_gps_positions_are_gone_and_the_picture_stands_upright(
    client, db, admin, mug
):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation: the camera was turned; show it rotated 90 degrees
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)})
    photo = picture((64, 32), "JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(photo)).getexif()[0x0112] == 6

    image = uploaded(await upload(client, gid(mug), photo, headers=admin.headers))["image"]

    assert (image["width"], image["height"]) == (32, 64)
    [document] = await stored_images(db, mug["_id"])
    stored_bytes = (await client.get(image["url"], headers={"Accept": "image/jpeg"})).content
    assert b"Exif" not in stored_bytes
    assert b"SpyCam" not in stored_bytes
    opened = Image.open(io.BytesIO(stored_bytes))
    assert dict(opened.getexif()) == {}
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(opened.info)
    assert opened.size == (32, 64)
    assert document["size"] == len(stored_bytes)


async def test_png_text_chunks_are_gone(client, admin, mug):
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at 10 Secret Lane")
    text.add_text("XML:com.adobe.xmp", "<x:xmpmeta>GPS</x:xmpmeta>")
    image = uploaded(
        await upload(
            client, gid(mug), picture((20, 20), "PNG", pnginfo=text), headers=admin.headers
        )
    )["image"]

    stored_bytes = (await client.get(image["url"], headers={"Accept": "image/png"})).content
    assert b"Secret Lane" not in stored_bytes
    assert b"xmpmeta" not in stored_bytes
    assert Image.open(io.BytesIO(stored_bytes)).text == {}


# --- who may upload, and to what ----------------------------------------------------------


async def test_only_admins_upload(client, db, customer, mug):
    as_customer = (await upload(client, gid(mug), picture(), headers=customer.headers)).json()
    anonymous = (await upload(client, gid(mug), picture())).json()

    assert [e["extensions"]["code"] for e in as_customer["errors"]] == ["FORBIDDEN"]
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    await assert_nothing_stored(db)


async def test_an_unknown_product_and_a_long_alt_text_are_user_errors(client, db, admin, mug):
    unknown = {**mug, "_id": type(mug["_id"])()}
    missing = await refusal(client, db, admin, unknown, picture())
    too_long = await refusal(client, db, admin, mug, picture(), alt_text="x" * 501)
    bad_id = uploaded(await upload(client, "not an id", picture(), headers=admin.headers))

    assert without_messages([missing]) == [{"field": ["productId"], "code": "NOT_FOUND"}]
    assert without_messages([too_long]) == [{"field": ["altText"], "code": "INVALID"}]
    assert without_messages(bad_id["userErrors"]) == [{"field": ["productId"], "code": "INVALID"}]
    await assert_nothing_stored(db)


async def test_a_product_never_gets_more_than_20_images_however_uploads_race(
    client, db, admin, mug
):
    for n in range(17):
        await db.product_images.insert_one(
            {"productId": mug["_id"], "slot": f"{mug['_id']}/{n}", "position": n, "name": "mug",
             "format": "JPEG", "width": 1, "height": 1, "blob": f"arranged-{n}", "renditions": {}}
        )  # fmt: skip

    responses = await asyncio.gather(
        *(upload(client, gid(mug), picture((32, 32)), headers=admin.headers) for _ in range(6))
    )

    payloads = [uploaded(response) for response in responses]
    accepted = [p for p in payloads if p["image"] is not None]
    refused = [p["userErrors"] for p in payloads if p["image"] is None]
    assert len(accepted) == 3
    assert all(
        without_messages(errors) == [{"field": ["productId"], "code": "INVALID"}]
        for errors in refused
    )
    images = await stored_images(db, mug["_id"])
    assert len(images) == 20
    assert len({image["slot"] for image in images}) == 20
    assert len(await stored_files(db)) == 3  # the refused uploads' files are gone


async def test_an_upload_to_a_product_with_20_images_is_refused_before_decoding(
    make_settings, db, admin, mug
):
    for n in range(20):
        await db.product_images.insert_one(
            {"productId": mug["_id"], "slot": f"{mug['_id']}/{n}", "position": n}
        )

    async with app_and_client(make_settings()) as (app, http):
        payload = uploaded(await upload(http, gid(mug), picture(), headers=admin.headers))
        assert app.state.services.images.work.started == 0

    assert without_messages(payload["userErrors"]) == [{"field": ["productId"], "code": "INVALID"}]
    assert "at most 20 images" in payload["userErrors"][0]["message"]
    assert await stored_files(db) == []


async def test_an_upload_racing_the_deletion_of_its_product_leaves_nothing(
    client, db, admin, as_admin
):
    products = [await add_product(db) for _ in range(6)]
    delete = "mutation($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }"

    await asyncio.gather(
        *(
            upload(client, gid(product), picture((32, 32)), headers=admin.headers)
            for product in products
        ),
        *(as_admin(delete, {"id": gid(product)}) for product in products),
    )

    assert await db.products.find({}).to_list() == []
    await assert_nothing_stored(db)
