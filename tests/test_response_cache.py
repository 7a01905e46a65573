"""The response cache: anonymous catalog queries answered from memory, never staler than
the last product write the change stream delivered, and only to anonymous callers."""

import asyncio
import urllib.parse
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pymongo.errors import OperationFailure
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from shopgraph.datasources.products import ProductsDatasource
from shopgraph.server.app import create_app
from shopgraph.server.response_cache import AnswerStore, ResponseCaching
from shopgraph.settings import Settings
from tests.conftest import CommandLog
from tests.helpers import add_product, eventually, gid

PAGE = "query Page($first: Int) { products(first: $first) { edges { node { id name stock } } } }"
ONE = "query One($id: ID!) { product(id: $id) { id name active } }"
MEGABYTE = 1024 * 1024


@dataclass
class Cached:
    http: httpx.AsyncClient
    store: AnswerStore
    app: Starlette
    commands: CommandLog

    async def post(self, query: str, variables: dict[str, Any] | None = None, **kw: Any):
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, **kw
        )

    async def get(self, query: str, variables: dict[str, Any] | None = None, **kw: Any):
        params = {"query": query, "variables": _json(variables or {})}
        return await self.http.get("/graphql?" + urllib.parse.urlencode(params), **kw)

    def reads(self) -> int:
        return len(self.commands.commands)

    @property
    def caching(self) -> ResponseCaching:
        route = next(r for r in self.app.routes if getattr(r, "path", "") == "/graphql")
        assert isinstance(route.app, ResponseCaching)  # type: ignore[attr-defined]
        return route.app  # type: ignore[attr-defined]


def _json(value: object) -> str:
    import orjson

    return orjson.dumps(value).decode()


@asynccontextmanager
async def cached_app(settings: Settings) -> AsyncIterator[Cached]:
    commands = CommandLog()
    app = create_app(settings, mongo_listeners=[commands])
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 123)),
            base_url="http://shopgraph.test",
        ) as http,
    ):
        store: AnswerStore = app.state.response_cache
        await eventually(lambda: store.live, 5, "the change stream open")
        yield Cached(http, store, app, commands)


@pytest.fixture
async def cached(make_settings: Callable[..., Settings]) -> AsyncIterator[Cached]:
    async with cached_app(make_settings(response_cache_bytes=MEGABYTE)) as app:
        yield app


async def written_seen(store: AnswerStore, before: int) -> None:
    """Waits (a condition, not a time) until the feed has told the cache of a write."""
    await eventually(lambda: store.generation > before, 5, "the feed saw the write")


async def added(db: Any, cached: Cached, **fields: Any) -> dict[str, Any]:
    """A product, once the feed has told the cache of it: the write cannot then empty the
    cache in the middle of the test."""
    generation = cached.store.generation
    product = await add_product(db, **fields)
    await written_seen(cached.store, generation)
    return product


# --- hits and misses --------------------------------------------------------------------------


async def test_a_repeated_anonymous_catalog_query_reads_nothing_from_mongodb(db, cached):
    await added(db, cached, name="Kettle", stock=4)
    first = await cached.post(PAGE, {"first": 5})
    cached.commands.clear()

    second = await cached.post(PAGE, {"first": 5})

    assert cached.reads() == 0
    assert second.status_code == 200
    assert second.content == first.content  # `extensions.cost` included
    assert second.json()["data"]["products"]["edges"][0]["node"]["name"] == "Kettle"
    assert "cost" in second.json()["extensions"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert "accept" in second.headers["vary"].lower()
    chosen = await cached.post(PAGE, {"first": 5}, headers={"X-Request-ID": "trace-0001"})
    assert chosen.headers["x-request-id"] == "trace-0001"
    assert cached.reads() == 0


async def test_other_variables_and_other_media_types_miss(db, cached):
    await added(db, cached, name="Kettle")
    await added(db, cached, name="Teapot")
    one = await cached.post(PAGE, {"first": 1})
    cached.commands.clear()

    two = await cached.post(PAGE, {"first": 2})
    assert cached.reads() > 0
    assert len(two.json()["data"]["products"]["edges"]) == 2
    assert len(one.json()["data"]["products"]["edges"]) == 1

    cached.commands.clear()
    typed = await cached.post(
        PAGE, {"first": 1}, headers={"Accept": "application/graphql-response+json"}
    )
    assert cached.reads() > 0
    assert typed.headers["content-type"].startswith("application/graphql-response+json")


async def test_admins_and_anonymous_callers_never_read_each_others_answers(
    db, cached, admin, customer
):
    hidden = await added(db, cached, name="Prototype", active=False)
    variables = {"id": gid(hidden)}

    as_admin = await cached.post(ONE, variables, headers=admin.headers)
    assert as_admin.json()["data"]["product"]["name"] == "Prototype"
    assert len(cached.store) == 0  # an authenticated answer is never kept

    anonymous = await cached.post(ONE, variables)
    assert anonymous.json()["data"]["product"] is None
    assert len(cached.store) == 1

    cached.commands.clear()
    again = await cached.post(ONE, variables, headers=admin.headers)
    assert again.json()["data"]["product"]["name"] == "Prototype"
    assert cached.reads() > 0  # never answered from the anonymous entry
    as_customer = await cached.post(ONE, variables, headers=customer.headers)
    assert as_customer.json()["data"]["product"] is None
    empty_header = await cached.post(ONE, variables, headers={"Authorization": ""})
    assert empty_header.status_code == 200
    assert len(cached.store) == 1


# --- never stale ------------------------------------------------------------------------------


@pytest.mark.parametrize("write", ["update", "replace", "insert", "delete", "stock"])
async def test_a_product_written_by_another_program_is_read_fresh_once_the_feed_saw_it(
    db, cached, write
):
    kettle = await added(db, cached, name="Kettle", stock=4)
    before = (await cached.post(PAGE, {"first": 5})).json()
    assert (await cached.post(PAGE, {"first": 5})).json() == before
    generation = cached.store.generation

    if write == "update":
        await db.products.update_one({"_id": kettle["_id"]}, {"$set": {"name": "Kettle 2"}})
    elif write == "stock":
        await db.products.update_one({"_id": kettle["_id"]}, {"$set": {"stock": 3}})
    elif write == "replace":
        await db.products.replace_one({"_id": kettle["_id"]}, {**kettle, "name": "Kettle 2"})
    elif write == "insert":
        await added(db, cached, name="Teapot")
    else:
        await db.products.delete_one({"_id": kettle["_id"]})
    await written_seen(cached.store, generation)

    after = (await cached.post(PAGE, {"first": 5})).json()
    names = [edge["node"]["name"] for edge in after["data"]["products"]["edges"]]
    stocks = [edge["node"]["stock"] for edge in after["data"]["products"]["edges"]]
    expected = {
        "update": (["Kettle 2"], [4]),
        "stock": (["Kettle"], [3]),
        "replace": (["Kettle 2"], [4]),
        "insert": (["Teapot", "Kettle"], [10, 4]),
        "delete": ([], []),
    }[write]
    assert (names, stocks) == expected


class HeldAnswers:
    """Holds the GraphQL view's answer (already computed from the database) until
    released, so a write can be made and seen in between."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.computed = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def holding(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.computed.set()
                await self.release.wait()
            await send(message)

        await self.app(scope, receive, holding)


async def test_an_answer_read_before_a_write_the_feed_saw_meanwhile_is_not_kept(db, cached):
    kettle = await added(db, cached, name="Kettle", stock=4)
    caching = cached.caching
    held = HeldAnswers(caching.app)
    caching.app = held
    try:
        miss = asyncio.create_task(cached.post(PAGE, {"first": 5}))
        await asyncio.wait_for(held.computed.wait(), 5)  # read the database, not kept yet
        generation = cached.store.generation
        await db.products.update_one({"_id": kettle["_id"]}, {"$set": {"name": "Kettle 2"}})
        await written_seen(cached.store, generation)
        held.release.set()
        old = (await miss).json()
    finally:
        caching.app = held.app
    assert old["data"]["products"]["edges"][0]["node"]["name"] == "Kettle"  # it raced
    assert len(cached.store) == 0

    fresh = (await cached.post(PAGE, {"first": 5})).json()
    assert fresh["data"]["products"]["edges"][0]["node"]["name"] == "Kettle 2"


# --- what is never kept -----------------------------------------------------------------------


async def test_answers_with_errors_are_not_kept(db, cached):
    for _ in range(2):
        cached.commands.clear()
        answer = await cached.post(PAGE, {"first": -1})
        assert answer.json()["errors"]
    bad_id = await cached.post(ONE, {"id": "not an id"})
    assert bad_id.json()["errors"]
    assert len(cached.store) == 0


async def test_mutations_and_subscriptions_are_untouched(cached):
    create = "mutation { cartCreate(input: {}) { cart { id } userErrors { code } } }"
    first = (await cached.post(create)).json()["data"]["cartCreate"]["cart"]["id"]
    second = (await cached.post(create)).json()["data"]["cartCreate"]["cart"]["id"]
    assert first != second
    subscription = "subscription { stockUpdated { stock } }"
    for _ in range(2):
        assert (await cached.post(subscription)).json()["errors"]
    assert len(cached.store) == 0


@pytest.mark.parametrize(
    "query",
    [
        # Other root fields beside the catalog: the caller's own data.
        "{ products(first: 1) { edges { node { name } } } me { id } }",
        # `node` can refetch orders and users.
        'query { node(id: "PRODUCT") { id ... on Product { name } } }',
        # Images live in other collections, whose writes the products stream does not see.
        "{ products(first: 1) { edges { node { name images { url } } } } }",
        "query { ...Page } fragment Page on Query { products(first: 1) { edges { node {"
        " variants { image { url } } } } } }",
    ],
)
async def test_documents_reading_more_than_products_are_not_kept(db, cached, query):
    kettle = await added(db, cached, name="Kettle")
    query = query.replace("PRODUCT", gid(kettle))
    for _ in range(2):
        cached.commands.clear()
        answer = await cached.post(query)
        assert "errors" not in answer.json(), answer.text
        assert cached.reads() > 0
    assert len(cached.store) == 0


async def test_catalog_fields_through_fragments_are_kept(db, cached):
    await added(db, cached, name="Kettle")
    query = (
        "query P { ... on Query { ...Names } } fragment Names on Query {"
        " products(first: 3) { edges { node { name } } } }"
    )
    await cached.post(query)
    cached.commands.clear()
    answer = await cached.post(query)
    assert answer.json()["data"]["products"]["edges"][0]["node"]["name"] == "Kettle"
    assert cached.reads() == 0


# --- bounded memory ---------------------------------------------------------------------------


async def test_many_distinct_variables_only_evict(db, make_settings):
    await add_product(db, name="Kettle")
    limit = 40_000
    settings = make_settings(response_cache_bytes=limit, response_cache_entry_bytes=4096)
    search = "query S($s: String) { products(first: 1, filter: {search: $s}) { totalCount } }"
    async with cached_app(settings) as cached:
        for n in range(150):
            answer = await cached.post(search, {"s": f"attack {n}"})
            assert answer.json()["data"]["products"]["totalCount"] == 0
            assert cached.store.used_bytes <= limit
        assert 20 <= len(cached.store) < 150

        # An answer over the bound of one entry is not kept.
        for n in range(30):
            await add_product(db, name=f"Long {n}", description="x" * 500)
        big = "{ products(first: 30) { edges { node { name description } } } }"
        generation = cached.store.generation
        await eventually(lambda: cached.store.generation > generation, 5, "writes seen")
        kept = len(cached.store)
        assert len((await cached.post(big)).content) > 4096
        assert len(cached.store) <= kept


def test_the_store_holds_no_more_memory_after_ten_times_as_many_answers():
    import tracemalloc

    from shopgraph.server.response_cache import StoredAnswer

    store = AnswerStore(200_000, 10_000)
    store.stream_opened()

    def fill(start: int, count: int) -> None:
        for n in range(start, start + count):
            answer = StoredAnswer(((b"content-type", b"application/json"),), b"x" * 300)
            assert store.put((b"POST", b"", b"", b'{"n": %d}' % n), answer, store.generation)

    tracemalloc.start()
    try:
        fill(0, 2_000)
        filled, _ = tracemalloc.get_traced_memory()
        fill(2_000, 20_000)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert store.used_bytes <= 200_000
    assert after - filled < 20_000, (filled, after)


# --- HTTP caching -----------------------------------------------------------------------------


async def test_get_answers_carry_cache_headers_and_a_matching_tag_gets_304(db, cached, admin):
    await added(db, cached, name="Kettle")
    first = await cached.get(PAGE, {"first": 2})
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, no-cache"
    vary = {part.strip().lower() for part in first.headers["vary"].split(",")}
    assert {"accept", "authorization"} <= vary

    cached.commands.clear()
    hit = await cached.get(PAGE, {"first": 2})
    assert (hit.content, hit.headers["etag"]) == (first.content, etag)
    assert cached.reads() == 0
    unchanged = await cached.get(PAGE, {"first": 2}, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert unchanged.headers["x-request-id"]
    other = await cached.get(PAGE, {"first": 2}, headers={"If-None-Match": '"other"'})
    assert other.status_code == 200

    # Authenticated: never public, never kept. POST: no tag.
    mine = await cached.get(PAGE, {"first": 2}, headers=admin.headers)
    assert "etag" not in mine.headers and "public" not in mine.headers.get("cache-control", "")
    assert "etag" not in (await cached.post(PAGE, {"first": 2})).headers


async def test_a_max_age_for_cdns_can_be_set(db, make_settings):
    await add_product(db)
    settings = make_settings(response_cache_bytes=MEGABYTE, response_cache_max_age_seconds=30)
    async with cached_app(settings) as cached:
        answer = await cached.get(PAGE, {"first": 1})
    assert answer.headers["cache-control"] == "public, max-age=30"


# --- only while the change stream runs --------------------------------------------------------

UNSUPPORTED = OperationFailure("The $changeStream stage is only supported on replica sets", 40573)


async def test_nothing_is_kept_when_mongodb_cannot_stream_changes(db, make_settings, monkeypatch):
    async def no_change_streams(self: object, resume_after: object) -> object:
        raise UNSUPPORTED

    monkeypatch.setattr(ProductsDatasource, "watch_writes", no_change_streams)
    await add_product(db, name="Kettle")
    commands = CommandLog()
    settings = make_settings(response_cache_bytes=MEGABYTE)
    app = create_app(settings, mongo_listeners=[commands])
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://shopgraph.test"
        ) as http,
    ):
        for _ in range(2):
            commands.clear()
            answer = await http.post("/graphql", json={"query": PAGE})
            assert answer.json()["data"]["products"]["edges"][0]["node"]["name"] == "Kettle"
            assert len(commands.commands) > 0
        store: AnswerStore = app.state.response_cache
        assert not store.live and len(store) == 0


async def test_nothing_is_served_or_kept_between_a_stream_error_and_its_resumption(
    db, make_settings, monkeypatch
):
    real_watch = ProductsDatasource.watch_writes
    streams: list[Any] = []
    resume = asyncio.Event()

    async def watch(self: ProductsDatasource, resume_after: Any) -> Any:
        if streams:  # the feed resuming: held until the test says
            await resume.wait()
        stream = await real_watch(self, resume_after)
        streams.append(stream)
        return stream

    monkeypatch.setattr(ProductsDatasource, "watch_writes", watch)
    await add_product(db, name="Kettle")
    async with cached_app(make_settings(response_cache_bytes=MEGABYTE)) as cached:
        await cached.post(PAGE)
        assert len(cached.store) == 1

        await streams[0].close()  # the stream ends, as on a network error
        await eventually(lambda: not cached.store.live, 5, "the cache off")
        assert len(cached.store) == 0
        for _ in range(2):
            cached.commands.clear()
            await cached.post(PAGE)
            assert cached.reads() > 0
        assert len(cached.store) == 0

        resume.set()
        await eventually(lambda: cached.store.live, 5, "the stream resumed")
        await cached.post(PAGE)
        cached.commands.clear()
        await cached.post(PAGE)
        assert cached.reads() == 0


# --- metrics ----------------------------------------------------------------------------------


async def test_hits_and_misses_are_counted(db, cached):
    await added(db, cached)

    def count(outcome: str) -> float:
        from shopgraph.server.metrics.instruments import RESPONSE_CACHE_LOOKUPS

        return RESPONSE_CACHE_LOOKUPS.labels(outcome)._value.get()

    hits, misses = count("hit"), count("miss")
    await cached.post(PAGE)
    await cached.post(PAGE)
    assert (count("hit") - hits, count("miss") - misses) == (1, 1)
    metrics = (await cached.http.get("/metrics")).text
    assert "shopgraph_response_cache_lookups_total" in metrics
