"""The no-stall row of `make bench` (issue 13, goal 5): the product page's p99 latency on a
real `shopgraph serve`, alone and while logins hash passwords at LOGIN_RATE per second.

Both clients are open-loop: requests leave on a fixed schedule (PAGE_RATE and LOGIN_RATE
per second) whatever the answers, and a latency counts from when its request was due, so
a stall shows as latency instead of as fewer requests. The page rate is moderate (well
below what the server sustains), so its latency is the server's, not a queue's.
Quiet and login periods alternate, ROUNDS of each; each condition's p99 is over all its
requests. The logins are real accounts with their right passwords, hashed with the
server's own argon2id parameters (its defaults).
"""

import asyncio
import json
import os
import pathlib
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from argon2 import PasswordHasher
from pymongo import MongoClient

from bench.audit_server import AuditServer
from bench.record import Row
from shopgraph.settings import Settings

PAGE_QUERY = (
    "{ products(first: 20) { edges { node { id name price { amount currency } stock } } } }"
)
LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken userErrors { code } } }"""
PAGE_RATE = 40.0  # requests per second
LOGIN_RATE = 20.0
SECONDS = 12.0  # per period
ROUNDS = 2  # quiet and login periods, alternating
WARM_UP_SECONDS = 3.0
ACCOUNTS = 40
RISE_GOAL_MS = 50.0
# The login client stands for many shoppers, each on an address of their own: the limit
# of password checks running at once per client address is not what is measured here.
SERVER_ENV = {"SHOPGRAPH_PASSWORD_CHECKS_PER_CLIENT": "64"}


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _open_loop(
    rate: float, seconds: float, request: Callable[[int], Awaitable[bool]]
) -> tuple[list[float], int]:
    """Calls `request(n)` at `rate` per second for `seconds`; (latencies in ms, counted
    from each request's due time, and how many answered as wanted)."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    latencies: list[float] = []
    wanted = 0

    async def one(n: int, due: float) -> None:
        nonlocal wanted
        ok = await request(n)
        latencies.append((loop.time() - due) * 1000)
        wanted += ok

    tasks = []
    for n in range(int(rate * seconds)):
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    return latencies, wanted


class _Connections:
    """Keep-alive HTTP/1.1 connections to the server, one per request in flight, written
    and read by hand: a client this lean adds little of its own time to what it measures
    on a machine whose two cores the server, the database and the argon2 threads share."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, request: bytes) -> bytes:
        """The body of the answer to `request` (a whole POST); raises on anything but 200.
        A kept connection the server has closed meanwhile (its keep-alive timeout) is
        replaced by a new one."""
        while True:
            fresh = not self._idle
            if fresh:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            else:
                reader, writer = self._idle.pop()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                if fresh:
                    raise
        status = head.split(b" ", 2)[1]
        length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
        body = await reader.readexactly(length)
        if status != b"200":
            raise RuntimeError(f"HTTP {status.decode()}: {body[:200]!r}")
        self._idle.append((reader, writer))
        return body

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()


def _post(host: str, port: int, query: str, variables: dict[str, str] | None = None) -> bytes:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return (
        f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _measure(server: AuditServer, accounts: list[tuple[str, str]]) -> dict[str, float]:
    host, port = "127.0.0.1", server.port
    connections = _Connections(host, port)
    page_request = _post(host, port, PAGE_QUERY)
    login_requests = [
        _post(host, port, LOGIN, {"email": email, "password": password})
        for email, password in accounts
    ]

    async def page(_: int) -> bool:
        answer = json.loads(await connections.post(page_request))
        return len(answer["data"]["products"]["edges"]) == 20

    async def login(n: int) -> bool:
        answer = json.loads(await connections.post(login_requests[n % len(login_requests)]))
        return answer["data"]["login"]["accessToken"] is not None

    try:
        await _open_loop(PAGE_RATE, WARM_UP_SECONDS, page)
        await _open_loop(LOGIN_RATE, WARM_UP_SECONDS, login)
        quiet: list[float] = []
        loaded: list[float] = []
        logged_in = 0
        for _ in range(ROUNDS):
            quiet += (await _open_loop(PAGE_RATE, SECONDS, page))[0]
            (latencies, _), (_, succeeded) = await asyncio.gather(
                _open_loop(PAGE_RATE, SECONDS, page), _open_loop(LOGIN_RATE, SECONDS, login)
            )
            loaded += latencies
            logged_in += succeeded
    finally:
        connections.close()
    return {
        "quiet_p99": _p99(quiet),
        "loaded_p99": _p99(loaded),
        "logins_per_second": logged_in / (SECONDS * ROUNDS),
    }


def _accounts(server: AuditServer) -> list[tuple[str, str]]:
    """Customers with passwords hashed as the server hashes them (its settings' argon2id
    parameters), written straight to its database."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )
    accounts = [(f"stall{n}@bench.test", f"stall password {n}") for n in range(ACCOUNTS)]
    now = time.time()
    with MongoClient(server.mongodb_uri) as client:
        users = client[os.environ.get("SHOPGRAPH_DB_NAME", "shopgraph")]["users"]
        created = datetime.fromtimestamp(now, UTC)
        users.insert_many(
            {
                "email": email,
                "name": "Stall",
                "passwordHash": hasher.hash(password),
                "role": "CUSTOMER",
                "emailVerifiedAt": created,
                "createdAt": created,
                "updatedAt": created,
            }
            for email, password in accounts
        )
    return accounts


def _server_env() -> dict[str, str]:
    """SERVER_ENV, and the hashing settings of this process's environment, if any (to
    measure other parameters: the accounts are hashed with the same ones)."""
    prefixes = ("SHOPGRAPH_ARGON2_", "SHOPGRAPH_PASSWORD_HASHING_")
    passed = {name: value for name, value in os.environ.items() if name.startswith(prefixes)}
    return SERVER_ENV | passed


def rows(work_dir: pathlib.Path) -> list[Row]:
    server = AuditServer(work_dir, _server_env())
    server.start()
    try:
        measured = asyncio.run(_measure(server, _accounts(server)))
    finally:
        server.stop()
    quiet, loaded = measured["quiet_p99"], measured["loaded_p99"]
    rise = loaded - quiet
    return [
        Row(
            f"stalls: product page p99 while {LOGIN_RATE:g} logins/s hash (page at "
            f"{PAGE_RATE:g} req/s, open loop)",
            loaded,
            "ms",
            quiet,
            "the page alone",
            f"rise <= {RISE_GOAL_MS:g} ms",
            rise <= RISE_GOAL_MS,
        ),
        Row(f"stalls: p99 rise under logins ({rise:+.1f} ms)", rise, "ms", goal="<= 50 ms"),
        Row(
            "stalls: logins achieved (argon2id as configured)",
            measured["logins_per_second"],
            "logins/s",
            goal=f"{LOGIN_RATE:g} asked",
        ),
    ]
