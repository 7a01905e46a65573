"""Production is not a demo (8): a second `shopgraph serve`, in production mode on an
empty database, asked for its schema and looked at for demo data.

This server trusts no proxy, so it also shows whether a client can pass for many by
writing `X-Forwarded-For` itself (4, 5: the per-address caps must not be that easy).
"""

import tempfile
from pathlib import Path

from pymongo import AsyncMongoClient

from bench.audit_http import Api
from bench.audit_report import Row
from bench.audit_server import AuditServer
from bench.audit_sockets import SOCKETS, open_socket

PRODUCTION = {
    "SHOPGRAPH_ENVIRONMENT": "production",
    "SHOPGRAPH_JWT_SECRET": "audit-production-secret-0123456789abcdef",
    "SHOPGRAPH_ALLOW_TEST_GATEWAY": "true",
    "SHOPGRAPH_LOG_LEVEL": "WARNING",
}
INTROSPECTION = "{ __schema { types { name } } }"
PRODUCT_COUNT = "{ products(first: 1) { totalCount } }"


async def production_server() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="shopgraph-audit-prod-") as tmp:
        server = AuditServer(Path(tmp), dict(PRODUCTION))
        try:
            server.start()
            return await _look(server)
        finally:
            server.stop()


async def _look(server: AuditServer) -> list[Row]:
    api = Api(server.base_url)
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(server.mongodb_uri)
    try:
        schema = await api.gql(INTROSPECTION)
        types = (((schema.body or {}).get("data") or {}).get("__schema") or {}).get("types")
        answered = f"{len(types)} types listed" if types else schema.describe()
        products = await api.gql(PRODUCT_COUNT)
        count = (products.payload("products") or {}).get("totalCount", products.describe())
        users = await mongo["shopgraph"].users.find({}, {"email": 1, "role": 1}).to_list()
        accounts = ", ".join(f"{u.get('email')} ({u.get('role')})" for u in users) or "none"
        announced = [line for line in server.log().splitlines() if "demo" in line.lower()]
    finally:
        await api.close()
        await mongo.close()
    return [
        await _spoofed_sockets(server),
        Row("8", "introspection in production", answered, schema.ms, schema.size),
        Row(
            "8",
            "demo data in production",
            f"products: {count}; accounts: {accounts}; demo lines printed: {len(announced)}",
        ),
    ]


async def _spoofed_sockets(server: AuditServer) -> Row:
    """Sockets from 127.0.0.1, each naming another client in `X-Forwarded-For`."""
    sockets = []
    try:
        for n in range(SOCKETS):
            socket, _ = await open_socket(server.ws_url, f"203.0.113.{150 + n}")
            if socket is not None:
                sockets.append(socket)
    finally:
        for socket in sockets:
            await socket.close()
    outcome = f"{len(sockets)}/{SOCKETS} accepted"
    return Row("4", f"{SOCKETS} sockets, spoofed X-Forwarded-For, no proxy", outcome)
