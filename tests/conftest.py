"""Fixtures: one MongoDB per test session, clean collections per test, the real ASGI app.

Without MONGODB_URI the suite starts its own embedded MongoDB (in memory). With
MONGODB_URI it uses that server and a throwaway database, dropped at the end.
"""

import asyncio
import base64
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.monitoring import CommandListener, CommandStartedEvent
from starlette.applications import Starlette

from shopgraph.auth.passwords import Passwords
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.products import LIVE_FEED
from shopgraph.server.app import create_app
from shopgraph.server.embedded import EmbeddedMongo, free_port
from shopgraph.settings import Settings
from tests.factories import product_document

GraphQLResponse = dict[str, Any]
TEST_JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


class CommandLog(CommandListener):
    """Every command the app's MongoDB client sends for requests, for asserting on queries.

    The live stock feed runs on the same client all the time; its commands carry the
    LIVE_FEED comment (the getMores of its change stream too) and are left out.
    """

    def __init__(self) -> None:
        self.commands: list[CommandStartedEvent] = []

    def started(self, event: CommandStartedEvent) -> None:
        if event.command.get("comment") != LIVE_FEED:
            self.commands.append(event)

    def succeeded(self, event: object) -> None:
        pass

    def failed(self, event: object) -> None:
        pass

    def clear(self) -> None:
        self.commands.clear()

    def named(self, name: str, collection: str | None = None) -> list[dict[str, Any]]:
        return [
            event.command
            for event in self.commands
            if event.command_name == name
            and (collection is None or event.command.get(name) == collection)
        ]


@pytest.fixture(scope="session")
def mongodb_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(uri, database name) for the whole session."""
    given = os.environ.get("MONGODB_URI")
    if given:
        yield given, f"shopgraph_test_{uuid.uuid4().hex[:12]}"
        return
    with EmbeddedMongo("memory", log_dir=tmp_path_factory.mktemp("mongodb")) as embedded:
        yield embedded.uri, "shopgraph_test"


@pytest.fixture(scope="session")
async def db(mongodb_target: tuple[str, str]) -> AsyncIterator[AsyncDatabase[Any]]:
    """The test's own view of the database, for arranging data and asserting on it."""
    uri, name = mongodb_target
    client: AsyncMongoClient[Any] = AsyncMongoClient(uri, tz_aware=True)
    yield client[name]
    if os.environ.get("MONGODB_URI"):
        await client.drop_database(name)
    await client.close()


@pytest.fixture(autouse=True)
async def clean_collections(db: AsyncDatabase[Any]) -> None:
    """Empty every collection, keeping indexes: the embedded server shares one namespace."""
    for name in await db.list_collection_names():
        if not name.startswith("system."):
            await db[name].delete_many({})
    await Datasources.for_database(db).ensure_indexes()


@pytest.fixture(scope="session")
def make_settings(
    mongodb_target: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Settings]:
    uri, name = mongodb_target
    data_dir = tmp_path_factory.mktemp("data")

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "mongodb_uri": uri,
            "db_name": name,
            "data_dir": data_dir,
            "environment": "development",
            "jwt_secret": TEST_JWT_SECRET,
            # Real argon2id, with cheap parameters so the suite stays fast.
            "argon2_time_cost": 1,
            "argon2_memory_kib": 1024,
            "argon2_parallelism": 1,
            # Tests that need the order sweep or the mailer run them explicitly.
            "background_tasks": False,
            # Served from memory, an answer is as new as the last write the change stream
            # delivered; tests that write and read at once would race it.
            # tests/test_response_cache.py turns it on.
            "response_cache_bytes": 0,
        }
        return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]

    return make


@pytest.fixture(scope="session")
def command_log() -> CommandLog:
    return CommandLog()


@asynccontextmanager
async def running_app(
    settings: Settings, command_log: CommandLog | None = None, *, peer: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """The real ASGI app, lifespan included, behind an HTTP client connecting from `peer`."""
    app: Starlette = create_app(settings, mongo_listeners=[command_log] if command_log else [])
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app, client=(peer, 123)),
            base_url="http://shopgraph.test",
        ) as client,
    ):
        yield client


@pytest.fixture(scope="session")
async def client(
    make_settings: Callable[..., Settings], command_log: CommandLog
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of an app with default settings, shared by the session."""
    async with running_app(make_settings(), command_log) as http:
        yield http


@pytest.fixture
def app_with() -> Callable[..., Any]:
    """`async with app_with(settings) as client:` for tests that need other settings."""
    return running_app


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> GraphQLResponse:
    """The JSON body, without the `extensions.cost` that every priced answer carries: it is
    checked here (within the limit) and left out, so tests compare what they are about.
    tests/test_query_cost.py asserts on it."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.headers["content-type"].startswith("application/json"), response.text
    return without_cost(response.json())


def without_cost(body: GraphQLResponse) -> GraphQLResponse:
    extensions = body.get("extensions") or {}
    cost = extensions.pop("cost", None)
    if cost is not None and "errors" not in body:
        assert 0 <= cost["requestedQueryCost"] <= cost["maximumAvailable"], cost
    if not extensions:
        body.pop("extensions", None)
    return body


@pytest.fixture
def gql(client: httpx.AsyncClient) -> Callable[..., Any]:
    """`await gql(query, variables)`: the JSON body of a POST /graphql."""

    async def run(query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return await graphql(client, query, variables, **kwargs)

    return run


PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Account:
    """A user who logged in through the API."""

    id: ObjectId
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    @property
    def global_id(self) -> str:
        return base64.b64encode(f"User:{self.id}".encode()).decode()


LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    accessToken refreshToken expiresIn user { id email name role }
    userErrors { field message code }
  }
}"""


async def create_user(
    db: AsyncDatabase[Any], email: str, password: str, role: str = "CUSTOMER", name: str = "Test"
) -> ObjectId:
    """Arranges an account directly in the database (argon2id with the test parameters)."""
    passwords = Passwords(time_cost=1, memory_kib=1024, parallelism=1, concurrency=2, queue=8)
    document = await Datasources.for_database(db).users.create(
        email, name, await passwords.hash(password), role
    )
    return document["_id"]


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    body = await graphql(client, LOGIN, {"email": email, "password": password})
    return body["data"]["login"]


async def account(
    db: AsyncDatabase[Any], client: httpx.AsyncClient, email: str, role: str
) -> Account:
    password = f"password of {email}"
    user_id = await create_user(db, email, password, role)
    tokens = await log_in(client, email, password)
    assert tokens["userErrors"] == [], tokens
    return Account(user_id, email, password, tokens["accessToken"], tokens["refreshToken"])


@pytest.fixture
async def customer(db, client) -> Account:
    return await account(db, client, "customer@shop.test", "CUSTOMER")


@pytest.fixture
async def other_customer(db, client) -> Account:
    return await account(db, client, "other@shop.test", "CUSTOMER")


@pytest.fixture
async def admin(db, client) -> Account:
    return await account(db, client, "admin@shop.test", "ADMIN")


@pytest.fixture
def as_admin(gql, admin):
    """`await as_admin(query, variables)`: the body of a request with the admin's token."""

    async def run(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await gql(query, variables, headers=admin.headers)
        assert "errors" not in body, body
        return body["data"]

    return run


@pytest.fixture
async def mug(db) -> dict[str, Any]:
    """A stored product the catalog admin tests change: 5 in stock, in two tags."""
    document = product_document(
        sku="MUG-1",
        name="Mug",
        description="A big mug",
        price=1250,
        stock=5,
        category="kitchen",
        tags=["eco", "sale"],
    )
    await db.products.insert_one(document)
    return document


@asynccontextmanager
async def live_server(settings: Any) -> AsyncIterator[tuple[Starlette, str]]:
    """The real app behind uvicorn on a free port, in this event loop: (app, ws URL)."""
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="uvicorn under test")
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if task.done():
                task.result()  # raises what stopped the server
                raise RuntimeError("uvicorn stopped before it started")
            assert time.monotonic() < deadline, "uvicorn did not start within 15 s"
            await asyncio.sleep(0.01)
        yield app, f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
