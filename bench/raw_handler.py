"""The baseline of the served rows: hand-written Starlette handlers for the storefront's
product pages, the fastest a Python server on the same database can answer them.

Each makes the same MongoDB `find` as Shopgraph (same filter, projection, sort and limit)
and encodes the same JSON with orjson, but parses, validates and checks nothing:
`/graphql` answers `PRODUCT_PAGE`, `/variant-page` answers `VARIANT_PAGE` for the cursor in
the body's variables. Run it as its own process: `python -m bench.raw_handler --port P`
with `MONGODB_URI` set.
"""

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import orjson
import uvicorn
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.relay import to_base64

from shopgraph.datasources.product_variants import VARIANT_FIELDS, stored_variants
from shopgraph.datasources.products import INACTIVE_VALUES
from shopgraph.money import from_minor_units
from shopgraph.resolvers.pagination import Ordering, decode_cursor, encode_cursor

PAGE = 20
CURRENCY = "USD"
PRODUCT_PAGE = (
    "{ products(first: 20) { edges { node { id name price { amount currency } stock } } } }"
)
VARIANT_PAGE = """query Page($after: String) { products(first: 20, after: $after) {
  edges { cursor node { id name price { amount currency } stock
    variants { id title price { amount currency } stock } } }
  pageInfo { hasNextPage endCursor } } }"""
# What Shopgraph adds to each answer: the query's cost against the limit.
PRODUCT_PAGE_COST = {"cost": {"requestedQueryCost": 62, "maximumAvailable": 10000}}
VARIANT_PAGE_COST = {"cost": {"requestedQueryCost": 4063, "maximumAvailable": 10000}}
NEWEST_FIRST = Ordering("products:CREATED_AT:DESC", "createdAt", datetime, descending=True)


def _money(minor: int) -> dict[str, str]:
    return {"amount": str(from_minor_units(minor, CURRENCY)), "currency": CURRENCY}


def create_raw_app(mongodb_uri: str) -> Starlette:
    client: AsyncMongoClient = AsyncMongoClient(mongodb_uri, tz_aware=True)  # as Shopgraph
    products = client[os.environ.get("SHOPGRAPH_DB_NAME", "shopgraph")]["products"]

    async def variant_page(request: Request) -> Response:
        after = decode_cursor(
            orjson.loads(await request.body())["variables"]["after"], NEWEST_FIRST
        )
        documents = await products.find(
            {
                "active": {"$nin": INACTIVE_VALUES},
                "$or": [
                    {"createdAt": {"$lt": after.value}},
                    {"createdAt": after.value, "_id": {"$lt": after.id}},
                ],
            },
            dict.fromkeys(["name", "price", "stock", "active", "createdAt", *VARIANT_FIELDS], 1),
            sort=[("createdAt", -1), ("_id", -1)],
            limit=PAGE + 1,
        ).to_list()
        edges = [
            {
                "cursor": encode_cursor(NEWEST_FIRST, document),
                "node": {
                    "id": to_base64("Product", document["_id"]),
                    "name": document["name"],
                    "price": _money(document["price"]),
                    "stock": document["stock"],
                    "variants": [
                        {
                            "id": to_base64("ProductVariant", f"{document['_id']}:{variant.id}"),
                            "title": variant.title,
                            "price": _money(variant.price),
                            "stock": variant.stock,
                        }
                        for variant in stored_variants(document)
                    ],
                },
            }
            for document in documents[:PAGE]
        ]
        page_info = {
            "hasNextPage": len(documents) > PAGE,
            "endCursor": edges[-1]["cursor"] if edges else None,
        }
        answer = {"data": {"products": {"edges": edges, "pageInfo": page_info}}}
        return Response(orjson.dumps(answer | {"extensions": VARIANT_PAGE_COST}))

    async def product_page(request: Request) -> Response:
        await request.body()
        documents = await products.find(
            {"active": {"$nin": INACTIVE_VALUES}},
            {"name": 1, "price": 1, "stock": 1, "active": 1},
            sort=[("createdAt", -1), ("_id", -1)],
            limit=PAGE + 1,
        ).to_list()
        edges = [
            {
                "node": {
                    "id": to_base64("Product", document["_id"]),
                    "name": document["name"],
                    "price": _money(document["price"]),
                    "stock": document["stock"],
                }
            }
            for document in documents[:PAGE]
        ]
        body = orjson.dumps(
            {"data": {"products": {"edges": edges}}, "extensions": PRODUCT_PAGE_COST}
        )
        return Response(body, media_type="application/json")

    return Starlette(
        routes=[
            Route("/graphql", product_page, methods=["GET", "POST"]),
            Route("/variant-page", variant_page, methods=["POST"]),
        ]
    )


@contextmanager
def serving_raw(env: dict[str, str]) -> Iterator[str]:
    """The raw handler as its own process on a free port, with `env` (which must hold
    `MONGODB_URI`); yields its URL."""
    with raw_process(env) as (url, _pid):
        yield url


@contextmanager
def raw_process(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """`serving_raw`, yielding the process id too (to read its CPU time)."""
    from shopgraph.server.embedded import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.raw_handler", "--port", str(port)],
        env=env,
        cwd=Path(__file__).parents[1],  # where `bench` is importable
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(url, json={}, timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    app = create_raw_app(os.environ["MONGODB_URI"])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
