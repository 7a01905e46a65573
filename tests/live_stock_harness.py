"""The harness of the live stock tests: `shopgraph serve` processes on the session's
MongoDB, a small GraphQL-over-WebSocket client, and `go_live`, which makes subscriptions
live before a test relies on them."""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bson import ObjectId
from pymongo import MongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from websockets.asyncio.client import ClientConnection, connect

from shopgraph.server.embedded import free_port
from tests import helpers
from tests.conftest import LOGIN, TEST_JWT_SECRET, create_user
from tests.factories import global_id, product_document
from tests.helpers import TRANSPORT_WS, subscribe_message

ALLOWED_ORIGIN = "https://shop.example"
# Several of the feed's idle polls (50 ms apart on a server that answers them at once).
QUIET_SECONDS = 0.3

SUBSCRIPTION = """subscription S($ids: [ID!]) {
  stockUpdated(productIds: $ids) {
    productId stock inStock updatedAt product { sku name active }
  }
}"""


# --- server processes ----------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def server_env(uri: str, db_name: str, data_dir: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGRAPH_")}
    return {
        **base,
        "MONGODB_URI": uri,
        "SHOPGRAPH_DB_NAME": db_name,
        "SHOPGRAPH_DATA_DIR": str(data_dir),
        "SHOPGRAPH_JWT_SECRET": TEST_JWT_SECRET,
        "SHOPGRAPH_ARGON2_TIME_COST": "1",
        "SHOPGRAPH_ARGON2_MEMORY_KIB": "1024",
        "SHOPGRAPH_ARGON2_PARALLELISM": "1",
        "SHOPGRAPH_BACKGROUND_TASKS": "false",
        "SHOPGRAPH_MAX_WS_PER_CLIENT": "1000",  # every test client is 127.0.0.1
        **extra,
    }


def start_server(env: dict[str, str], data_dir: Path, name: str) -> Server:
    """Output goes to a file: a pipe nobody reads would block the server once full."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "shopgraph", "serve", "--port", str(port)],
            env=env,
            cwd=data_dir,  # no stray .env file
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Server(process, port, log)


def wait_ready(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.output()
        try:
            with urllib.request.urlopen(f"{server.base}/readyz", timeout=2) as response:
                if json.loads(response.read())["status"] == "ready":
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server did not become ready:\n{server.output()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@dataclass
class Servers:
    a: Server
    b: Server  # ws_connection_init_timeout_seconds=1, cors_origins=[ALLOWED_ORIGIN]


@contextlib.contextmanager
def two_servers(uri: str, db_name: str, data_dir: Path) -> Iterator[Servers]:
    """Servers A and B on one database, both ready; stopped when the block ends."""
    # A catalog that is not empty: neither server seeds, so they can start together.
    with MongoClient(uri) as client:
        client[db_name].products.insert_one(product_document(sku="LIVE-NOT-EMPTY"))
    a = start_server(server_env(uri, db_name, data_dir / "a"), data_dir / "a", "a")
    b = start_server(
        server_env(
            uri,
            db_name,
            data_dir / "b",
            SHOPGRAPH_WS_CONNECTION_INIT_TIMEOUT_SECONDS="1",
            SHOPGRAPH_CORS_ORIGINS=f"{ALLOWED_ORIGIN}, https://other.example",
        ),
        data_dir / "b",
        "b",
    )
    try:
        wait_ready(a)
        wait_ready(b)
        yield Servers(a, b)
    finally:
        stop_server(a)
        stop_server(b)


# --- a small GraphQL-over-WebSocket client ----------------------------------------------


@dataclass
class Subscriber:
    ws: ClientConnection
    protocol: str
    received: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        token: str | None = None,
        protocol: str = TRANSPORT_WS,
        **options: Any,
    ) -> "Subscriber":
        ws = await asyncio.wait_for(connect(url, subprotocols=[protocol], **options), 10)
        assert ws.subprotocol == protocol
        subscriber = cls(ws, protocol)
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = await subscriber.message(10)
        assert ack["type"] == "connection_ack", ack
        return subscriber

    async def subscribe(self, op_id: str, product_ids: list[str] | None) -> None:
        payload = {"query": SUBSCRIPTION, "variables": {"ids": product_ids}}
        await self.ws.send(json.dumps(subscribe_message(op_id, payload, self.protocol)))

    async def message(self, within: float) -> dict[str, Any]:
        """The next message that is not a keep-alive."""
        async with asyncio.timeout(within):
            while True:
                message = json.loads(await self.ws.recv())
                if message["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                elif message["type"] not in ("ka", "pong"):
                    return message

    async def update(self, within: float = 2.0, op_id: str | None = None) -> dict[str, Any]:
        """The next stock update (of `op_id` when given); fails on anything else."""
        message = await self.message(within)
        data_type = "next" if self.protocol == TRANSPORT_WS else "data"
        assert message["type"] == data_type, message
        assert op_id is None or message["id"] == op_id, message
        assert "errors" not in message["payload"], message
        update = message["payload"]["data"]["stockUpdated"]
        self.received.append(update)
        return update

    async def until_stock(self, product: str, stock: int, within: float) -> dict[str, Any]:
        """Reads updates until `product` shows `stock`; earlier values are skipped."""
        async with asyncio.timeout(within):
            while True:
                update = await self.update(within)
                if update["productId"] == product and update["stock"] == stock:
                    return update

    async def until_quiet(self, seconds: float, within: float = 10.0) -> None:
        """Skips messages until none arrives for `seconds`."""
        async with asyncio.timeout(within):
            with contextlib.suppress(TimeoutError):
                while True:
                    await self.message(seconds)

    async def nothing_more(self, seconds: float) -> None:
        try:
            message = await self.message(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {message}")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)


# --- data --------------------------------------------------------------------------------


async def add_product(db: AsyncDatabase[Any], **fields: Any) -> tuple[ObjectId, str]:
    """A stored product: (its ObjectId, its global ID)."""
    document = await helpers.add_product(db, **fields)
    return document["_id"], global_id("Product", document["_id"])


async def bump(db: AsyncDatabase[Any], product_id: ObjectId, delta: int = 1) -> int:
    """Changes the stock directly, as another program would; returns the new stock."""
    after = await db.products.find_one_and_update(
        {"_id": product_id}, {"$inc": {"stock": delta}}, return_document=ReturnDocument.AFTER
    )
    return after["stock"]


async def go_live(
    subscribers: list[Subscriber],
    product: str,
    change: Callable[[], Awaitable[int]],
    rounds: int = 30,
) -> None:
    """Changes `product` until every subscriber has seen a change, then reads each until
    the feed has nothing more for it: after this the subscriptions are active and drained.

    Seeing the last value written is not enough: a post-image is the product as it is
    when the event is processed, so an older event (another product's insert, say) still
    on its way may already carry that value and arrive before the rest."""
    pending = list(subscribers)
    behind: list[Subscriber] = []  # live, but not yet read up to the last value
    stock = None
    for _ in range(rounds):
        stock = await change()
        seen = await asyncio.gather(
            *(s.until_stock(product, stock, 0.4) for s in pending), return_exceptions=True
        )
        for result in seen:
            if isinstance(result, BaseException) and not isinstance(result, TimeoutError):
                raise result
        went_live = [isinstance(result, dict) for result in seen]
        now_live = [s for s, live in zip(pending, went_live, strict=True) if live]
        pending = [s for s, live in zip(pending, went_live, strict=True) if not live]
        if not pending:
            break
        behind.extend(now_live)
    assert not pending, f"{len(pending)} of {len(subscribers)} subscriptions never went live"
    assert stock is not None
    await asyncio.gather(*(s.until_stock(product, stock, 5) for s in behind))
    await asyncio.gather(*(s.until_quiet(QUIET_SECONDS) for s in subscribers))


async def admin_token(db: AsyncDatabase[Any], server: Server) -> str:
    await create_user(db, "admin@shop.test", "admin password", "ADMIN")
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": LOGIN,
                "variables": {"email": "admin@shop.test", "password": "admin password"},
            },
        )
    login = response.json()["data"]["login"]
    assert login["userErrors"] == [], login
    return login["accessToken"]
