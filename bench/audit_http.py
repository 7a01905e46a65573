"""Talking to the audited server over HTTP: GraphQL answers summed up, accounts, and a
watch on /healthz that shows when the event loop stalls.

Requests may say which client they come from: the server trusts `X-Forwarded-For` from
127.0.0.1 (the audit sets `SHOPGRAPH_TRUSTED_PROXIES`), so each attack gets an address of
its own and a throttled attacker does not throttle the audit's own set-up.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.audit_report import ProbeFailed, tally

REQUEST_TIMEOUT = 90.0

REGISTER = """mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken refreshToken user { id role } userErrors { code } }
}"""
LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    accessToken refreshToken user { id role } userErrors { code }
  }
}"""


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer of /graphql, as a client sees it."""

    status: int
    body: dict[str, Any] | None
    ms: float
    size: int
    text: str

    def payload(self, name: str) -> dict[str, Any] | None:
        """`data.<name>` when it is an object."""
        data = (self.body or {}).get("data") or {}
        value = data.get(name)
        return value if isinstance(value, dict) else None

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("errors") or [])

    @property
    def error_codes(self) -> list[str]:
        return [str((error.get("extensions") or {}).get("code", "error")) for error in self.errors]

    def user_error_codes(self, name: str) -> list[str]:
        payload = self.payload(name) or {}
        return [str(error.get("code")) for error in payload.get("userErrors") or []]

    def unknown_field(self, name: str) -> bool:
        """The schema has no such field: an older (or newer) server."""
        return any(
            f"'{name}'" in str(error.get("message", ""))
            and "Cannot query field" in error["message"]
            for error in self.errors
        )

    def describe(self, name: str | None = None) -> str:
        """Short: `HTTP 413`, `error UNAUTHENTICATED: ...`, `userErrors OUT_OF_STOCK`, `ok`."""
        if self.body is None:
            return f"HTTP {self.status}: {self.text[:80].strip()}"
        prefix = "" if self.status == 200 else f"HTTP {self.status}, "
        if self.errors:
            first = self.errors[0]
            message = str(first.get("message", ""))[:90]
            more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            return f"{prefix}error {self.error_codes[0]}: {message}{more}"
        codes = self.user_error_codes(name) if name is not None else []
        if codes:
            listed = ", ".join(codes) if len(set(codes)) == len(codes) else tally(codes)
            return f"{prefix}userErrors {listed}"
        return f"{prefix}ok"


@dataclass(slots=True)
class Account:
    email: str
    password: str
    access_token: str
    refresh_token: str | None
    id: str | None
    role: str | None


@dataclass
class Api:
    base_url: str
    client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.AsyncClient(base_url=self.base_url, timeout=REQUEST_TIMEOUT)

    async def close(self) -> None:
        await self.client.aclose()

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        client_ip: str | None = None,
    ) -> Answer:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client_ip:
            headers["X-Forwarded-For"] = client_ip
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        start = time.perf_counter()
        response = await self.client.post("/graphql", json=payload, headers=headers)
        ms = (time.perf_counter() - start) * 1000
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = None
        return Answer(response.status_code, body, ms, len(response.content), response.text)

    async def register(self, email: str, password: str, client_ip: str) -> Account:
        """A fresh customer, logged in: through `register`, or `login` after it when the
        server no longer hands out tokens at registration."""
        variables = {"input": {"email": email, "password": password, "name": "Audit Shopper"}}
        answer = await self.gql(REGISTER, variables, client_ip=client_ip)
        payload = answer.payload("register") or {}
        if payload.get("accessToken"):
            return _account(email, password, payload)
        return await self.login(email, password, client_ip)

    async def login(self, email: str, password: str, client_ip: str) -> Account:
        answer = await self.gql(LOGIN, {"email": email, "password": password}, client_ip=client_ip)
        payload = answer.payload("login") or {}
        if not payload.get("accessToken"):
            raise ProbeFailed(f"could not log in {email} ({answer.describe('login')})")
        return _account(email, password, payload)


def _account(email: str, password: str, payload: dict[str, Any]) -> Account:
    user = payload.get("user") or {}
    return Account(
        email,
        password,
        payload["accessToken"],
        payload.get("refreshToken"),
        user.get("id"),
        user.get("role"),
    )


@dataclass(slots=True)
class HealthWatch:
    """The slowest /healthz answer seen while the watch ran, in milliseconds."""

    worst_ms: float = 0.0
    samples: int = 0


@contextlib.asynccontextmanager
async def watching_health(base_url: str, every: float = 0.02) -> AsyncIterator[HealthWatch]:
    """Polls /healthz on its own connection: a slow answer means the server's event loop
    was busy with something else (the attack)."""
    watch = HealthWatch()
    stop = asyncio.Event()

    async def poll() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            while not stop.is_set():
                start = time.perf_counter()
                await client.get("/healthz")
                watch.worst_ms = max(watch.worst_ms, (time.perf_counter() - start) * 1000)
                watch.samples += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), every)

    task = asyncio.create_task(poll())
    try:
        yield watch
    finally:
        stop.set()
        await task


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB"
