"""What the image tests share: files made with Pillow (and by hand, where Pillow would not
make them), uploads as a client sends them, and what is stored afterwards."""

import io
import json
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from bson import ObjectId
from PIL import Image
from starlette.applications import Starlette

from shopgraph.server.app import create_app
from shopgraph.settings import Settings

UPLOAD = """mutation Upload($productId: ID!, $file: Upload!, $altText: String) {
  uploadProductImage(productId: $productId, file: $file, altText: $altText) {
    image { id url altText width height format }
    product { sku images { id } }
    userErrors { field message code }
  }
}"""
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


def picture(
    size: tuple[int, int] = (640, 480),
    image_format: str = "JPEG",
    colour: tuple[int, ...] = (200, 40, 40),
    **save: Any,
) -> bytes:
    mode = "RGBA" if len(colour) == 4 else "RGB"
    image = Image.new(mode, size, colour)
    image.paste((20, 20, 160, colour[3] if mode == "RGBA" else 255)[: len(colour)], (0, 0, 40, 40))
    out = io.BytesIO()
    image.save(out, image_format, **save)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header says it is `width` x `height`: decoding it would need
    width x height x 3 bytes (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * 1024, 9)  # the start of rows of zeroes
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
  <script>alert(document.cookie)</script><rect width="100" height="100" fill="red"/>
</svg>"""


async def upload(
    http: httpx.AsyncClient,
    product_id: str,
    data: bytes,
    *,
    headers: dict[str, str] | None = None,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    alt_text: str | None = None,
    preflight: bool = True,
) -> httpx.Response:
    """POST /graphql as a multipart request (the GraphQL multipart request specification)."""
    operations = {
        "query": UPLOAD,
        "variables": {"productId": product_id, "file": None, "altText": alt_text},
    }
    return await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, data, content_type)},
        headers={**(headers or {}), **(PREFLIGHT if preflight else {})},
    )


def uploaded(response: httpx.Response) -> dict[str, Any]:
    """The payload of an upload answered with 200."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["uploadProductImage"]


async def stored_images(db: Any, product_id: ObjectId | None = None) -> list[dict[str, Any]]:
    query = {} if product_id is None else {"productId": {"$in": [product_id]}}
    return await db.product_images.find(query).to_list()


async def stored_files(db: Any) -> list[str]:
    """The ids of every file in the media bucket (GridFS)."""
    return sorted([doc["_id"] async for doc in db["media.files"].find({}, {"_id": 1})])


@asynccontextmanager
async def app_and_client(
    settings: Settings, command_log: Any = None
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The app and a client of it: the tests count its image work and its commands."""
    app = create_app(settings, mongo_listeners=[command_log] if command_log else [])
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://shopgraph.test"
        ) as http,
    ):
        yield app, http
