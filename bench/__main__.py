"""Measures the request path over the real ASGI app and an embedded MongoDB.

Absolute numbers depend on the machine; the ratios against a baseline taken in the
same run are what to compare between versions.
"""

import asyncio
import base64
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from bson import ObjectId
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from strawberry import Schema

from bench import fanout, response_cache, round_trips, served, stalls
from bench.carts import Commands, cart_rows
from bench.record import Row, table
from shopgraph.auth.passwords import passwords_from
from shopgraph.auth.secret import access_tokens_from
from shopgraph.auth.tokens import new_session_id
from shopgraph.schema.build import build_schema
from shopgraph.schema.query import Query
from shopgraph.server.app import create_app
from shopgraph.server.demo_catalog import demo_image, demo_products
from shopgraph.server.embedded import EmbeddedMongo
from shopgraph.settings import Settings

ROUNDS = 5
# Modules whose `rows(work_dir)` measure the goals on a real `shopgraph serve`.
SERVED = [served, response_cache, fanout, round_trips, stalls]
METRIC_FAMILIES = {
    "shopgraph_http_request_duration_seconds",
    "shopgraph_graphql_operations",
    "shopgraph_graphql_operation_duration_seconds",
    "shopgraph_graphql_errors",
    "shopgraph_websockets_active",
    "shopgraph_subscriptions_active",
    "shopgraph_live_stock_events",
    "shopgraph_live_stock_feed_lag_seconds",
    "shopgraph_orders_placed",
    "shopgraph_orders_paid",
    "shopgraph_orders_cancelled",
    "shopgraph_orders_pending",
    "shopgraph_outbox_backlog",
    "shopgraph_outbox_given_up",
    "shopgraph_mail_sent",
    "shopgraph_mail_send_failures",
    "shopgraph_mongodb_command_duration_seconds",
    "shopgraph_mongodb_command_failures",
}
PAGE_QUERY = """query Page($after: String) {
  products(first: 20, after: $after, sort: {field: PRICE, direction: ASC}) {
    edges { cursor node { id sku name price { amount currency } inStock } }
    pageInfo { hasNextPage endCursor }
  }
}"""
LISTING_QUERY = "{ products(first: 20) { edges { node { sku name price { amount } } } } }"
PLACE_ORDER = """mutation Place($items: [OrderLineInput!]!) {
  placeOrder(input: {items: $items}) { order { number total { amount } } userErrors { code } }
}"""
FULL_QUERY = """{ products(first: 20) { edges { node {
  id sku name description price { amount currency } stock inStock category tags active
  createdAt updatedAt } } } }"""
# A page of shoes, many in seven sizes: every variant with its price and stock.
VARIANTS_QUERY = """{ products(first: 20, filter: {category: "footwear"}) { edges { node {
  id name priceRange { min { amount } max { amount } } options { name values }
  variants { id sku title price { amount } stock inStock selectedOptions { name value } }
} } } }"""
# A storefront's listing: each product's pictures, as a thumbnail and a srcset.
IMAGES_QUERY = """{ products(first: 20) { edges { node { id name price { amount }
  images { altText thumb: url(width: 256) large: url(width: 768)
           webp: url(width: 768, format: WEBP) } } } } }"""
IMAGES_PER_PRODUCT = 3


async def per_op_ms(operation: Callable[[], Awaitable[object]], count: int) -> float:
    """Median over rounds of the mean time per operation, in milliseconds."""
    for _ in range(max(3, count // 10)):
        await operation()
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(count):
            await operation()
        samples.append((time.perf_counter() - start) * 1000 / count)
    return statistics.median(samples)


async def schema_caches() -> list[tuple[str, float, float]]:
    """Parse + validate a storefront query: Shopgraph's schema against a bare one.

    The listing is skipped, so it is parsed and validated but never executed.
    """
    cached = build_schema()
    bare = Schema(query=Query)
    query = """query Skipped($after: String) { __typename
      products(first: 20, after: $after, sort: {field: PRICE, direction: ASC}) @skip(if: true) {
        edges { cursor node { id sku name price { amount currency } inStock } }
        pageInfo { hasNextPage endCursor } } }"""
    bare_ms = await per_op_ms(lambda: bare.execute(query, context_value=None), 300)
    cached_ms = await per_op_ms(lambda: cached.execute(query, context_value=None), 300)
    return [
        ("schema: bare (no caches, no limits)", bare_ms, 1.0),
        ("schema: shopgraph (limits + caches)", cached_ms, cached_ms / bare_ms),
    ]


async def http_requests(uri: str, data_dir: Path) -> list[tuple[str, float, float]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        mongodb_uri=uri,
        data_dir=data_dir,
        background_tasks=False,
        response_cache_bytes=0,  # these rows measure execution; the cache has its own row
    )
    commands = Commands()
    app = create_app(settings, mongo_listeners=[commands])
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://bench"
        ) as client,
    ):
        await app.state.datasources.products.insert_missing(
            product | {"sku": f"{product['sku']}-{copy}"}
            for copy in range(15)
            for product in demo_products()
        )

        async def post(query: str) -> None:
            response = await client.post("/graphql", json={"query": query})
            assert "errors" not in response.json(), response.text

        baseline = await per_op_ms(lambda: post("{ __typename }"), 200)
        rows = [("http: { __typename } (baseline)", baseline, 1.0)]
        for label, query in [
            ("http: 20 products, 3 fields", LISTING_QUERY),
            ("http: 20 products, every field", FULL_QUERY),
            ("http: 20 products by price, cursors", PAGE_QUERY),
            ("http: 20 products with their variants", VARIANTS_QUERY),
        ]:
            ms = await per_op_ms(lambda query=query: post(query), 60)
            rows.append((label, ms, ms / baseline))
        rounds = 40
        # A shopper's first order each time: the per-customer limits read at most a few
        # unpaid orders, as they do for any real customer.
        shoppers = iter(await _customers(app, max(3, rounds // 10) + ROUNDS * rounds))
        order = await _order_input(app)

        async def place() -> None:
            response = await client.post(
                "/graphql",
                json={"query": PLACE_ORDER, "variables": order},
                headers=next(shoppers),
            )
            assert response.json()["data"]["placeOrder"]["userErrors"] == [], response.text

        ms = await per_op_ms(place, rounds)
        rows.append(("http: placeOrder, 2 lines", ms, ms / baseline))
        admin = await _admin(app)
        rows += await cart_rows(app, client, admin, commands, per_op_ms, baseline)
        rows += await _images(app, client, post, baseline, data_dir)
        rows.append(await _scrape(client, baseline))
        return rows


async def _images(
    app: Starlette,
    client: httpx.AsyncClient,
    post: Callable[[str], Awaitable[None]],
    baseline: float,
    data_dir: Path,
) -> list[tuple[str, float, float]]:
    """A page of products with their pictures; then one rendition served by /media against
    the same bytes served by Starlette's StaticFiles (the goal for a rendition served
    before: at least 0.8 times its requests per second, a ratio of at most 1.25 here)."""
    page = await client.post(
        "/graphql", json={"query": "{ products(first: 20) { edges { node { id } } } }"}
    )
    ids = [
        ObjectId(base64.b64decode(edge["node"]["id"]).decode().split(":")[1])
        for edge in page.json()["data"]["products"]["edges"]
    ]
    images = app.state.services.images
    products = await app.state.datasources.products.by_ids(ids, None)
    for product in products.values():
        for _ in range(IMAGES_PER_PRODUCT):
            await images.upload(product["_id"], demo_image(product), product["name"])
    ms = await per_op_ms(lambda: post(IMAGES_QUERY), 60)
    rows = [(f"http: 20 products, {IMAGES_PER_PRODUCT} images each (3 urls)", ms, ms / baseline)]

    listing = await client.post("/graphql", json={"query": IMAGES_QUERY})
    url = listing.json()["data"]["products"]["edges"][0]["node"]["images"][0]["webp"]
    rendition = await client.get(url)
    assert rendition.status_code == 200, rendition.text
    static_dir = data_dir / "static"
    static_dir.mkdir()
    (static_dir / "rendition.webp").write_bytes(rendition.content)
    static_app = Starlette(routes=[Mount("/static", StaticFiles(directory=static_dir))])
    # Another process of the same store keeping nothing in memory: each request reads the
    # image's record and its file from MongoDB.
    cold_settings = app.state.settings.model_copy(
        update={"media_cache_bytes": 0, "media_lookup_cache_seconds": 0}
    )
    cold_app = create_app(cold_settings)
    etag = rendition.headers["etag"]
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=static_app), base_url="http://static"
        ) as static,
        LifespanManager(cold_app) as cold_manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=cold_manager.app), base_url="http://cold"
        ) as cold,
    ):

        async def get(http: httpx.AsyncClient, path: str, **headers: str) -> None:
            response = await http.get(path, headers=headers)
            assert response.status_code in (200, 304), response.text

        static_ms = await per_op_ms(lambda: get(static, "/static/rendition.webp"), 300)
        media_ms = await per_op_ms(lambda: get(client, url), 300)
        not_modified_ms = await per_op_ms(lambda: get(client, url, **{"If-None-Match": etag}), 300)
        cold_ms = await per_op_ms(lambda: get(cold, url), 100)
    size = len(rendition.content)
    return [
        *rows,
        (f"media: StaticFiles, a {size:,}-byte file (baseline)", static_ms, 1.0),
        ("media: /media, that file as a cached rendition", media_ms, media_ms / static_ms),
        ("media: /media, 304 on If-None-Match", not_modified_ms, not_modified_ms / static_ms),
        ("media: /media, nothing kept in memory", cold_ms, cold_ms / static_ms),
    ]


async def _scrape(client: httpx.AsyncClient, baseline: float) -> tuple[str, float, float]:
    """/metrics after the run above: every family that docs/operations/observability.md
    lists is there."""
    text = ""

    async def scrape() -> None:
        nonlocal text
        response = await client.get("/metrics")
        assert response.status_code == 200, response.text
        text = response.text

    ms = await per_op_ms(scrape, 20)
    typed = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE shopgraph_")]
    families = {name.removesuffix("_total") for name in typed}
    missing = sorted(METRIC_FAMILIES - families)
    assert not missing, f"/metrics lacks {missing}"
    series = sum(1 for line in text.splitlines() if line.startswith("shopgraph_"))
    return (f"http: GET /metrics ({series} series)", ms, ms / baseline)


async def _customers(app: Starlette, count: int) -> list[dict[str, str]]:
    """Logged-in customers, made directly: signing each up would time argon2, not orders."""
    users = app.state.datasources.users
    password_hash = await passwords_from(app.state.settings).hash("bench pw 1")
    tokens = access_tokens_from(app.state.settings)
    headers = []
    for n in range(count):
        user = await users.create(f"bench{n}@shop.test", "Bench", password_hash, "CUSTOMER")
        token = tokens.issue(str(user["_id"]), "CUSTOMER", new_session_id())
        headers.append({"Authorization": f"Bearer {token}"})
    return headers


async def _admin(app: Starlette) -> dict[str, str]:
    users = app.state.datasources.users
    password_hash = await passwords_from(app.state.settings).hash("bench pw 1")
    user = await users.create("bench-admin@shop.test", "Admin", password_hash, "ADMIN")
    token = access_tokens_from(app.state.settings).issue(
        str(user["_id"]), "ADMIN", new_session_id()
    )
    return {"Authorization": f"Bearer {token}"}


async def _order_input(app: Starlette) -> dict[str, object]:
    """Two one-variant products (whose stock of record is `stock`) with stock enough for
    every round."""
    products = app.state.datasources.products
    one_variant = {"active": True, "variantStock": {"$exists": False}}
    chosen = await products.collection.find(one_variant, {"_id": 1}, limit=2).to_list()
    for product in chosen:
        await products.collection.update_one({"_id": product["_id"]}, {"$set": {"stock": 10**6}})
    return {
        "items": [
            {"productId": base64.b64encode(f"Product:{p['_id']}".encode()).decode(), "quantity": 1}
            for p in chosen
        ]
    }


async def in_process() -> None:
    with tempfile.TemporaryDirectory() as tmp, EmbeddedMongo("memory", log_dir=Path(tmp)) as db:
        rows = await schema_caches() + await http_requests(db.uri, Path(tmp))
    print(f"{'benchmark':<52}{'ms/op':>10}{'ratio':>10}")
    for label, ms, ratio in rows:
        print(f"{label:<52}{ms:>10.3f}{ratio:>10.2f}" if ms else label)


def served_goals() -> None:
    """The goal rows, each module starting what it measures (a real `shopgraph serve`)."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for module in SERVED:
            rows += module.rows(Path(tmp) / module.__name__)
    print()
    print(table(rows))
    missed = [row.label for row in rows if row.met is False]
    print(f"\n{len(rows)} rows, goals missed: {', '.join(missed) if missed else 'none'}")


asyncio.run(in_process())
served_goals()
