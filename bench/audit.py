"""`make audit`: the hostile requests of the abuse-resistance issue, against a real
`shopgraph serve`, and what each got.

The audit reports behaviour; it asserts nothing. It runs against whatever code is checked
out, so an endpoint may answer the old way or the new way, and a mutation may not exist
yet ("not available"). Each probe arranges its own data through the API (with fresh
accounts and its own client address), so the rows are comparable from run to run and
between versions; times depend on the machine.
"""

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pymongo import AsyncMongoClient

from bench import audit_accounts as accounts
from bench import audit_orders as orders
from bench import audit_sockets as sockets
from bench import audit_sweeps as sweeps
from bench.audit_http import Account, Api
from bench.audit_production import PRODUCTION, production_server
from bench.audit_report import Probe, ProbeFailed, Row, guarded, table
from bench.audit_server import AuditServer
from bench.audit_shop import Shop

ADMIN_EMAIL = "audit-admin@audit.test"
ADMIN_PASSWORD = "audit admin password 1"
DEVELOPMENT = {
    # Attacks come from addresses of their own through X-Forwarded-For.
    "SHOPGRAPH_TRUSTED_PROXIES": "127.0.0.1",
    # Only the audit's sweeping processes sweep, when it says so.
    "SHOPGRAPH_ORDER_SWEEP_SECONDS": "3600",
    "SHOPGRAPH_LOG_LEVEL": "WARNING",
}


def _probes(shop: Shop) -> list[tuple[str, str, Probe]]:
    """In the order they run: the deep query first, while the admin sees only the orders
    it arranged; the WebSocket flood last."""
    return [
        ("2", "deep orders query", lambda: orders.deep_query(shop)),
        ("1", "one fresh account holds the catalog", lambda: orders.reserve_catalog(shop)),
        ("9", "ten lines at the maximum price", lambda: orders.overflowing_order(shop)),
        ("10", "updateProduct(stock:) vs. an order", lambda: orders.stock_overwrite(shop)),
        ("1", "hold sweep over a backlog", lambda: sweeps.hold_backlog(shop)),
        ("11", "two sweeps finish one cancellation", lambda: sweeps.double_return(shop)),
        ("3", "create-admin --email <a customer's>", lambda: accounts.create_admin_takeover(shop)),
        ("5", "wrong passwords for one account", lambda: accounts.lockout(shop)),
        ("5", "one address, many emails", lambda: accounts.spraying(shop)),
        ("5", "aliased logins", lambda: accounts.aliased_logins(shop)),
        ("5", "logins at once", lambda: accounts.hashing_queue(shop)),
        ("6", "old access token after logout", lambda: accounts.token_after_logout(shop)),
        ("7", "requestPasswordReset", lambda: accounts.password_reset(shop)),
        ("7", "register with a taken email", lambda: accounts.register_taken(shop)),
        ("4", "productIds list", lambda: sockets.long_id_list(shop)),
        ("4", "many sockets from one address", lambda: sockets.many_sockets(shop)),
        ("4", "anonymous 14 MB subscribe", lambda: sockets.huge_message(shop)),
    ]


async def _admin(server: AuditServer, api: Api) -> Account:
    """Made with `shopgraph create-admin` before the server starts; the demo admin the
    server announced, should that fail."""
    try:
        return await api.login(ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.254")
    except ProbeFailed:
        for role, email, password in server.demo_accounts():
            if role == "admin":
                return await api.login(email, password, "192.0.2.254")
        raise


async def development_server(work_dir: Path) -> list[Row]:
    server = AuditServer(work_dir, dict(DEVELOPMENT))
    rows: list[Row] = []
    try:
        server.start_database()
        server.cli("create-admin", "--email", ADMIN_EMAIL, SHOPGRAPH_ADMIN_PASSWORD=ADMIN_PASSWORD)
        server.start()
        api = Api(server.base_url)
        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(server.mongodb_uri)
        try:
            shop = Shop(server, api, mongo, await _admin(server, api))  # type: ignore[arg-type]
            for item, attack, probe in _probes(shop):
                start = time.perf_counter()
                rows += await guarded(item, attack, probe)
                seconds = time.perf_counter() - start
                print(f"  {item:>2} {attack}: {seconds:.1f} s", file=sys.stderr, flush=True)
        finally:
            await api.close()
            await mongo.close()
    finally:
        server.stop()
    return rows


def _settings(environment: dict[str, str]) -> str:
    return ", ".join(
        f"{name}={value}" for name, value in environment.items() if "SECRET" not in name
    )


def _version() -> str:
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown version"
    return described.stdout.strip()


async def main() -> None:
    start = time.perf_counter()
    print("Auditing a development server...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="shopgraph-audit-") as tmp:
        rows = await development_server(Path(tmp))
    print("Auditing a production server...", file=sys.stderr, flush=True)
    rows += await guarded("8", "production server", production_server)
    rows.sort(key=lambda row: int(row.item))
    print(f"Shopgraph abuse audit of {_version()}: `shopgraph serve` on an embedded MongoDB,")
    print("default settings but " + _settings(DEVELOPMENT))
    print("(8: a second server with " + _settings(PRODUCTION) + ")")
    print("ms: the attack's request(s); bytes: the answer (the message, for WebSocket rows)")
    print()
    print(table(rows))
    print(f"\n{len(rows)} requests in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
