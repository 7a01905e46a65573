"""The baseline of the served rows: a hand-written Starlette handler for the storefront's
product page, the fastest a Python server on the same database can answer it.

It makes the same MongoDB `find` as Shopgraph (same filter, projection, sort and limit)
and encodes the same JSON with orjson, but parses, validates and checks nothing. Run it
as its own process: `python -m bench.raw_handler --port P` with `MONGODB_URI` set.
"""

import argparse
import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import orjson
import uvicorn
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shopgraph.datasources.products import INACTIVE_VALUES

PAGE = 20
CURRENCY = "USD"
# What Shopgraph adds to each answer: the query's cost against the limit.
EXTENSIONS = {"cost": {"requestedQueryCost": 62, "maximumAvailable": 10000}}


def _global_id(type_name: str, id_: object) -> str:
    return base64.b64encode(f"{type_name}:{id_}".encode()).decode()


def _money(minor: int) -> dict[str, str]:
    return {"amount": str(Decimal(minor).scaleb(-2)), "currency": CURRENCY}


def create_raw_app(mongodb_uri: str) -> Starlette:
    client: AsyncMongoClient = AsyncMongoClient(mongodb_uri)
    products = client[os.environ.get("SHOPGRAPH_DB_NAME", "shopgraph")]["products"]

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
                    "id": _global_id("Product", document["_id"]),
                    "name": document["name"],
                    "price": _money(document["price"]),
                    "stock": document["stock"],
                }
            }
            for document in documents[:PAGE]
        ]
        body = orjson.dumps({"data": {"products": {"edges": edges}}, "extensions": EXTENSIONS})
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/graphql", product_page, methods=["GET", "POST"])])


@contextmanager
def serving_raw(env: dict[str, str]) -> Iterator[str]:
    """The raw handler as its own process on a free port, with `env` (which must hold
    `MONGODB_URI`); yields its URL."""
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
        yield url
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
