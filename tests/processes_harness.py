"""The harness of the process tests: `shopgraph serve` with arguments (`--workers N`),
its worker processes, HTTP clients held to one worker each, and shoppers that place
orders until the server stops answering them."""

import asyncio
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from shopgraph.server.embedded import free_port
from shopgraph.server.process_header import PROCESS_HEADER
from tests.conftest import LOGIN
from tests.helpers import bearer, line
from tests.live_stock_harness import Server

PLACE = """mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id status items { quantity } } userErrors { code message }
  }
}"""


def start_serve(env: dict[str, str], data_dir: Path, name: str, *args: str) -> Server:
    """`shopgraph serve --port P *args`; output goes to a file, read with `output()`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "shopgraph", "serve", "--port", str(port), *args],
            env=env,
            cwd=data_dir,  # no stray .env file
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Server(process, port, log)


def children_of(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of each live child process of `pid` (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append((int(stat.parent.name), command))
    return children


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting for its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def worker_pids(server: Server) -> set[int]:
    """The server processes uvicorn's supervisor started for `serve --workers N`."""
    return {pid for pid, command in children_of(server.process.pid) if "spawn_main" in command}


def answered_by(response: httpx.Response) -> int:
    return int(response.headers[PROCESS_HEADER])


async def log_in(base: str, email: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        response = await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"email": email, "password": password}}
        )
    login = response.json()["data"]["login"]
    assert login["userErrors"] == [], login
    return str(login["accessToken"])


async def clients_by_worker(
    base: str, workers: int, each: int, most: int = 90
) -> dict[int, list[httpx.AsyncClient]]:
    """HTTP clients of one kept-alive connection each, grouped by the worker that
    connection reached: opened ten at a time (a burst of connections spreads over the
    workers) until `each` clients reach every one of the `workers`, or `most` are open.
    Close them with `close_all`."""
    by_worker: dict[int, list[httpx.AsyncClient]] = {}

    async def one() -> None:
        http = httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=1))
        worker = answered_by(await http.get("/healthz"))
        by_worker.setdefault(worker, []).append(http)

    opened = 0
    while opened < most and (
        len(by_worker) < workers or min(len(c) for c in by_worker.values()) < each
    ):
        await asyncio.gather(*(one() for _ in range(10)))
        opened += 10
    return by_worker


async def close_all(by_worker: dict[int, list[httpx.AsyncClient]]) -> None:
    await asyncio.gather(*(http.aclose() for clients in by_worker.values() for http in clients))


@dataclass
class Call:
    """One `placeOrder` call, as its client saw it."""

    key: str
    quantity: int
    sent_at: float = 0.0  # time.monotonic()
    answered_at: float | None = None
    worker: int | None = None
    order: dict[str, Any] | None = None
    refusals: list[dict[str, Any]] = field(default_factory=list)
    failure: Exception | None = None  # no answer: the connection failed or was dropped

    async def place(self, http: httpx.AsyncClient, token: str, product_id: Any) -> None:
        items = [line(product_id, self.quantity)]
        variables = {"input": {"items": items, "idempotencyKey": self.key}}
        self.sent_at = time.monotonic()
        try:
            response = await http.post(
                "/graphql", json={"query": PLACE, "variables": variables}, headers=bearer(token)
            )
        except httpx.TransportError as error:
            self.failure = error
            return
        self.answered_at = time.monotonic()
        self.worker = answered_by(response)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        self.order = body["data"]["placeOrder"]["order"]
        self.refusals = body["data"]["placeOrder"]["userErrors"]


async def shop_until_refused(
    base: str, token: str, product_id: Any, name: str, calls: list[Call]
) -> None:
    """Places orders one after another, each on a new connection, until one gets no
    answer; every call is appended to `calls`."""
    async with httpx.AsyncClient(
        base_url=base, timeout=60, limits=httpx.Limits(max_keepalive_connections=0)
    ) as http:
        for n in range(10_000):
            call = Call(f"{name}-{n}", 1 + n % 3)
            calls.append(call)
            await call.place(http, token, product_id)
            if call.failure is not None:
                return


def units(orders: Sequence[dict[str, Any]]) -> int:
    return sum(item["quantity"] for order in orders for item in order["items"])


def created_before(order: dict[str, Any], moment: datetime) -> bool:
    return bool(order["createdAt"] < moment)
