"""The demo catalog's pictures: every product gets one at seed time, drawn in its colour
with its name, served like any upload, with no network needed."""

import io

from PIL import Image

from shopgraph.server.cli import Seeding, prepare_database
from shopgraph.server.demo_catalog import _RGB
from tests.images_harness import stored_files, stored_images

QUERY = """{ products(first: 100, filter: {includeInactive: true}) { edges { node {
  name tags images { url(width: 256, format: PNG) altText width height format } } } } }"""


async def demo_catalog(gql, admin) -> list[dict]:
    body = await gql(QUERY, headers=admin.headers)
    return [edge["node"] for edge in body["data"]["products"]["edges"]]


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))


async def test_every_demo_product_gets_a_picture_of_its_colour_and_name(
    client, db, gql, admin, make_settings
):
    added, _ = await prepare_database(make_settings(), Seeding.MISSING)

    products = await demo_catalog(gql, admin)
    assert added == len(products) == 72
    for product in products:
        [image] = product["images"]
        assert image["altText"] == product["name"]
        assert (image["width"], image["height"], image["format"]) == (800, 600, "JPEG")
    for product in products[:6]:
        response = await client.get(product["images"][0]["url"])
        picture = Image.open(io.BytesIO(response.content)).convert("RGB")
        assert picture.size == (256, 192)
        colour = next(_RGB[tag] for tag in product["tags"] if tag in _RGB)
        assert near(picture.getpixel((40, 40)), colour), product  # inside the frame, no text
    assert len(await stored_images(db)) == 72


async def test_seeding_again_adds_no_pictures_and_a_reset_replaces_them(db, make_settings):
    settings = make_settings()
    await prepare_database(settings, Seeding.MISSING)
    first = {image["_id"] for image in await stored_images(db)}
    first_files = await stored_files(db)

    added, _ = await prepare_database(settings, Seeding.MISSING)

    assert added == 0
    assert {image["_id"] for image in await stored_images(db)} == first
    assert await stored_files(db) == first_files
    await prepare_database(settings, Seeding.MISSING, reset=True)
    after_reset = await stored_images(db)
    assert len(after_reset) == 72
    assert not {image["_id"] for image in after_reset} & first
    assert not set(await stored_files(db)) & set(first_files)
