"""`GET /media/<image id>/<name>`: product images, in the renditions `Image.url` names.

Every answer is cacheable for a year and marked immutable (a URL's bytes never change),
with a strong ETag; a request whose `If-None-Match` matches gets 304 after one metadata
read, with no image read or decoded. A URL without a format is answered in WebP when the
Accept header names `image/webp`, else in the image's own format, and says so (`Vary`).
"""

from bson import ObjectId
from bson.errors import InvalidId
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from shopgraph.catalog.image_renditions import parse_media_name
from shopgraph.catalog.media import Answer, MediaLibrary, answer_for

CACHE_FOR_GOOD = "public, max-age=31536000, immutable"


def takes_webp(accept: str) -> bool:
    """Whether the Accept header names WebP with a weight above 0. Only an explicit
    `image/webp` counts: browsers that send `*/*` or `image/*` alone may not decode it."""
    for entry in accept.lower().split(","):
        media_type, *parameters = entry.split(";")
        if media_type.strip() != "image/webp":
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        return weight > 0
    return False


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison, which If-None-Match uses."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _headers(answer: Answer) -> dict[str, str]:
    headers = {
        "ETag": answer.etag,
        "Cache-Control": CACHE_FOR_GOOD,
        "X-Content-Type-Options": "nosniff",
    }
    if answer.negotiated:
        headers["Vary"] = "Accept"
    return headers


def _not_found() -> Response:
    return PlainTextResponse("No such image.", status_code=404)


async def media(request: Request) -> Response:
    library: MediaLibrary = request.app.state.services.media
    named = parse_media_name(request.path_params["name"])
    try:
        image_id = ObjectId(request.path_params["image_id"])
    except (InvalidId, TypeError):
        return _not_found()
    image = None if named is None else await library.image(image_id)
    if image is None or named is None:
        return _not_found()
    name, rendition = named
    answer = answer_for(image, name, rendition, takes_webp(request.headers.get("accept", "")))
    if answer is None:
        return _not_found()
    if _matches(request.headers.get("if-none-match", ""), answer.etag):
        return Response(status_code=304, headers=_headers(answer))
    content = await library.content(answer)
    if content is None:
        return _not_found()  # deleted while being answered
    return Response(content, media_type=answer.image_format.media_type, headers=_headers(answer))
