"""Serving images at /media: the URLs `Image.url` gives, renditions made once, caching
headers, 304s that read and decode nothing, and WebP for clients that take it."""

import asyncio
import io

import pytest
from bson import ObjectId
from PIL import Image

from shopgraph.catalog.image_renditions import ImageFormat, Rendition
from shopgraph.catalog.media import answer_for
from tests.helpers import gid, poll
from tests.images_harness import (
    app_and_client,
    picture,
    stored_files,
    stored_images,
    upload,
    uploaded,
)

URLS = """query($id: ID!) { node(id: $id) { ... on Image {
  url w300: url(width: 300) w5000: url(width: 5000) h100: url(height: 100)
  tiny: url(width: 1) webp: url(width: 512, format: WEBP) png: url(format: PNG)
} } }"""
CACHE_FOR_GOOD = "public, max-age=31536000, immutable"


@pytest.fixture
async def media_app(make_settings, command_log):
    async with app_and_client(make_settings(), command_log) as both:
        yield both


async def uploaded_image(http, admin, product, data: bytes | None = None) -> dict:
    data = data or picture((1600, 1200))
    return uploaded(await upload(http, gid(product), data, headers=admin.headers))["image"]


async def urls_of(http, admin, image: dict) -> dict:
    response = await http.post(
        "/graphql", json={"query": URLS, "variables": {"id": image["id"]}}, headers=admin.headers
    )
    return response.json()["data"]["node"]


def media_reads(command_log) -> list[dict]:
    """The commands that read image files (GridFS)."""
    return [
        command
        for command in command_log.named("find")
        if str(command.get("find", "")).startswith("media")
    ]


async def test_url_rounds_the_width_up_to_a_served_one_and_never_beyond_the_image(
    media_app, admin, mug
):
    _, http = media_app
    image = await uploaded_image(http, admin, mug)
    urls = await urls_of(http, admin, image)
    media_id = ObjectId(image["url"].split("/")[2])

    assert urls["url"] == f"/media/{media_id}/mug"
    assert urls["w300"] == f"/media/{media_id}/mug_w384"
    assert urls["w5000"] == urls["url"]  # no larger than it is
    assert urls["h100"] == f"/media/{media_id}/mug_w256"  # 100 high is 134 wide: 256 fills it
    assert urls["tiny"] == f"/media/{media_id}/mug_w64"
    assert urls["webp"] == f"/media/{media_id}/mug_w512.webp"
    assert urls["png"] == f"/media/{media_id}/mug.png"
    served = await http.get(urls["w300"], headers={"Accept": "image/jpeg"})
    assert Image.open(io.BytesIO(served.content)).size == (384, 288)
    png = await http.get(urls["png"])
    assert Image.open(io.BytesIO(png.content)).size == (1600, 1200)


async def test_a_width_out_of_range_is_an_error(media_app, admin, mug):
    _, http = media_app
    image = await uploaded_image(http, admin, mug, picture((100, 100)))
    query = "query($id: ID!) { node(id: $id) { ... on Image { url(width: 0) } } }"

    body = (
        await http.post("/graphql", json={"query": query, "variables": {"id": image["id"]}})
    ).json()

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`width` must be from 1 to 10000" in body["errors"][0]["message"]


async def test_a_rendition_has_a_strong_etag_and_may_be_cached_for_good(media_app, admin, mug):
    _, http = media_app
    image = await uploaded_image(http, admin, mug)
    url = (await urls_of(http, admin, image))["webp"]

    response = await http.get(url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == CACHE_FOR_GOOD
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert "vary" not in response.headers  # the format is in the URL
    assert response.headers["x-content-type-options"] == "nosniff"
    opened = Image.open(io.BytesIO(response.content))
    assert (opened.format, opened.size) == ("WEBP", (512, 384))
    again = await http.get(url)
    assert (again.headers["etag"], again.content) == (etag, response.content)
    head = await http.head(url)
    assert (head.status_code, head.headers["etag"], head.content) == (200, etag, b"")


async def test_if_none_match_gets_a_304_that_reads_and_decodes_no_image(
    make_settings, command_log, admin, mug
):
    """With nothing kept in memory, so that reading a file or a record would show."""
    settings = make_settings(media_cache_bytes=0, media_lookup_cache_seconds=0)
    async with app_and_client(settings, command_log) as (app, http):
        await answers_304(app, http, command_log, admin, mug)


async def answers_304(app, http, command_log, admin, mug) -> None:
    image = await uploaded_image(http, admin, mug)
    url = (await urls_of(http, admin, image))["w300"]
    etag = (await http.get(url, headers={"Accept": "image/webp"})).headers["etag"]
    work = app.state.services.media.work
    decodes = work.started
    command_log.clear()

    answers = [
        await http.get(url, headers={"Accept": "image/webp", "If-None-Match": tag})
        for tag in (etag, f"W/{etag}", f'"other", {etag}', "*")
    ]

    assert [answer.status_code for answer in answers] == [304] * 4
    assert all(answer.content == b"" for answer in answers)
    assert all(answer.headers["etag"] == etag for answer in answers)
    assert all(answer.headers["cache-control"] == CACHE_FOR_GOOD for answer in answers)
    assert work.started == decodes
    assert media_reads(command_log) == []
    assert [c["find"] for c in command_log.named("find")] == ["product_images"] * 4
    stale = await http.get(url, headers={"Accept": "image/webp", "If-None-Match": '"old"'})
    assert stale.status_code == 200
    # The JPEG of the same URL is another representation, with another tag.
    jpeg = await http.get(url, headers={"Accept": "image/jpeg", "If-None-Match": etag})
    assert jpeg.status_code == 200
    assert jpeg.headers["etag"] != etag


async def test_twenty_first_requests_at_once_make_the_rendition_once(media_app, db, admin, mug):
    app, http = media_app
    image = await uploaded_image(http, admin, mug)
    url = (await urls_of(http, admin, image))["webp"]
    work = app.state.services.media.work
    decodes = work.started

    responses = await asyncio.gather(*(http.get(url) for _ in range(20)))

    assert {response.status_code for response in responses} == {200}
    assert len({response.content for response in responses}) == 1
    assert work.started == decodes + 1
    [document] = await stored_images(db, mug["_id"])
    assert list(document["renditions"]) == ["512-webp"]
    assert len(await stored_files(db)) == 2  # the image and its one rendition
    await asyncio.gather(*(http.get(url) for _ in range(20)))
    assert work.started == decodes + 1


async def test_renditions_waiting_their_turn_hold_no_original(
    make_settings, command_log, admin, mug
):
    """While every place for image work is taken, first requests for renditions wait
    without reading their original; each reads it once its turn comes."""
    settings = make_settings(image_work_concurrency=1)
    async with app_and_client(settings, command_log) as (app, http):
        image = await uploaded_image(http, admin, mug)
        media_id = image["url"].split("/")[2]
        widths = (128, 256, 384, 512)
        work = app.state.services.media.work

        def originals_read() -> int:
            return sum(
                1
                for event in command_log.commands
                if event.command_name == "find"
                and event.command.get("find") == "media.files"
                and "_id" in event.command.get("filter", {})
            )

        command_log.clear()
        async with work.turn():  # the one place is taken
            requests = [
                asyncio.create_task(http.get(f"/media/{media_id}/mug_w{width}.webp"))
                for width in widths
            ]
            assert await poll(lambda: work.waiting == len(widths))
            assert originals_read() == 0
        answers = await asyncio.gather(*requests)
        assert {answer.status_code for answer in answers} == {200}
        assert originals_read() == len(widths)


async def test_a_rendition_another_process_made_meanwhile_is_read_not_made_again(
    media_app, db, make_settings, admin, mug
):
    """A second process read the image before the first made the rendition: it finds the
    rendition when it comes to make it, and decodes nothing."""
    _, http = media_app
    image = await uploaded_image(http, admin, mug)
    url = (await urls_of(http, admin, image))["webp"]
    async with app_and_client(make_settings()) as (other, _):
        library = other.state.services.media
        stale = await library.image(ObjectId(url.split("/")[2]))
        made = (await http.get(url)).content  # the first process makes it
        answer = answer_for(stale, stale.name, Rendition(512, ImageFormat.WEBP), False)
        read = await asyncio.gather(*(library.content(answer) for _ in range(5)))
        assert library.work.started == 0

    assert set(read) == {made}
    assert len(await stored_files(db)) == 2


async def test_a_rendition_served_recently_costs_no_database_command(
    media_app, command_log, admin, mug
):
    _, http = media_app
    image = await uploaded_image(http, admin, mug)
    url = (await urls_of(http, admin, image))["w300"]
    made = await http.get(url, headers={"Accept": "image/webp"})
    await http.get(url, headers={"Accept": "image/webp"})
    command_log.clear()

    again = [await http.get(url, headers={"Accept": "image/webp"}) for _ in range(5)]

    assert {(r.status_code, r.content) for r in again} == {(200, made.content)}
    assert command_log.commands == []


async def test_a_deleted_image_is_gone_at_once_from_the_process_that_deleted_it(
    media_app, admin, mug
):
    _, http = media_app
    image = await uploaded_image(http, admin, mug)
    served = await http.get(image["url"])
    delete = "mutation($id: ID!) { deleteProductImage(id: $id) { deletedId } }"
    await http.post(
        "/graphql", json={"query": delete, "variables": {"id": image["id"]}}, headers=admin.headers
    )

    gone = await http.get(image["url"], headers={"If-None-Match": served.headers["etag"]})

    assert served.status_code == 200
    assert gone.status_code == 404


async def test_webp_goes_to_clients_that_accept_it(media_app, admin, mug):
    _, http = media_app
    jpeg = await uploaded_image(http, admin, mug, picture((300, 200)))
    transparent_webp = await uploaded_image(
        http, admin, mug, picture((300, 200), "WEBP", (0, 0, 200, 100))
    )

    async def format_for(image: dict, accept: str | None) -> tuple[str, str | None]:
        headers = {} if accept is None else {"Accept": accept}
        response = await http.get(image["url"], headers=headers)
        assert response.status_code == 200, response.text
        opened = Image.open(io.BytesIO(response.content))
        assert response.headers["content-type"] == f"image/{opened.format.lower()}"
        return opened.format, response.headers.get("vary")

    chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
    assert await format_for(jpeg, chrome) == ("WEBP", "Accept")
    assert await format_for(jpeg, "image/webp;q=0, */*") == ("JPEG", "Accept")
    assert await format_for(jpeg, "*/*") == ("JPEG", "Accept")
    assert await format_for(jpeg, None) == ("JPEG", "Accept")
    assert await format_for(transparent_webp, "image/png,image/*") == ("PNG", "Accept")
    assert await format_for(transparent_webp, chrome) == ("WEBP", "Accept")


async def test_urls_that_url_does_not_give_are_not_found(media_app, admin, mug):
    _, http = media_app
    image = await uploaded_image(http, admin, mug)
    media_id = image["url"].split("/")[2]

    for path in (
        f"/media/{media_id}/other-name",
        f"/media/{media_id}/mug_w300",  # not a served width
        f"/media/{media_id}/mug_w2048",  # not smaller than the image
        f"/media/{media_id}/mug.gif",
        f"/media/{media_id}/mug.jpg.exe",
        f"/media/{ObjectId()}/mug",
        "/media/not-an-id/mug",
        f"/media/{media_id}/" + "m" * 500,
    ):
        response = await http.get(path)
        assert response.status_code == 404, path
        assert "cache-control" not in response.headers


async def test_image_urls_may_name_a_cdn(app_with, make_settings, admin, mug):
    async with app_with(make_settings(media_base_url="https://cdn.example.com/")) as http:
        image = await uploaded_image(http, admin, mug, picture((100, 100)))

    assert image["url"].startswith("https://cdn.example.com/media/")
