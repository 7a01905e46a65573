"""The `shopgraph` command as an operator runs it: real processes, real signals."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from shopgraph.datasources.client import Datasources
from shopgraph.server.embedded import free_port
from tests.conftest import log_in
from tests.helpers import TRANSPORT_WS, assert_refused_refresh, refresh
from tests.served import serve_env


def shopgraph(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shopgraph", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def env(mongodb_target, tmp_path) -> dict[str, str]:
    return serve_env(mongodb_target, tmp_path)


async def test_seed_adds_the_demo_catalog_once(db, env):
    first = shopgraph("seed", env=env)
    second = shopgraph("seed", env=env)

    assert first.returncode == 0, first.stderr
    assert "added 72 demo products" in first.stdout
    assert "added 0 demo products" in second.stdout
    assert await db.products.count_documents({}) == 72
    assert await db.products.count_documents({"active": False}) >= 3
    assert await db.products.count_documents({"stock": 0}) >= 5
    assert len(await db.products.distinct("category")) >= 5


async def test_first_seed_in_development_creates_demo_accounts_once(db, env):
    first = shopgraph("seed", env=env)
    second = shopgraph("seed", env=env)

    shown = [line for line in first.stdout.splitlines() if line.startswith("demo ")]
    assert [line.split()[1:3] for line in shown] == [
        ["admin:", "admin@example.com"],
        ["customer:", "customer@example.com"],
    ]
    assert not [line for line in second.stdout.splitlines() if line.startswith("demo ")]
    admin = await db.users.find_one({"email": "admin@example.com"})
    assert admin["role"] == "ADMIN"
    password = shown[0].split()[4]
    assert password not in str(admin)  # stored only as an argon2id hash
    assert admin["passwordHash"].startswith("$argon2id$")


async def test_production_seed_creates_no_demo_accounts(db, env):
    secret = {"SHOPGRAPH_ENVIRONMENT": "production", "SHOPGRAPH_JWT_SECRET": "s" * 40}
    result = shopgraph("seed", env={**env, **secret})
    assert result.returncode == 0, result.stderr
    assert await db.users.count_documents({}) == 0


async def test_create_admin_creates_an_admin_with_the_given_password(db, env):
    result = shopgraph(
        "create-admin",
        "--email",
        " Boss@Shop.test ",
        env={**env, "SHOPGRAPH_ADMIN_PASSWORD": "a long secret"},
    )

    assert result.returncode == 0, result.stderr
    assert "created admin boss@shop.test" in result.stdout
    boss = await db.users.find_one({"email": "boss@shop.test"})
    assert boss["role"] == "ADMIN"
    PasswordHasher().verify(boss["passwordHash"], "a long secret")


async def test_create_admin_refuses_an_email_that_has_an_account(db, env, client, customer):
    before = await db.users.find_one({"_id": customer.id})

    result = shopgraph(
        "create-admin",
        "--email",
        " Customer@Shop.test ",
        env={**env, "SHOPGRAPH_ADMIN_PASSWORD": "the operator's password"},
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "'customer@shop.test': An account with this email exists" in result.stderr
    assert "--promote" in result.stderr
    assert await db.users.find_one({"_id": customer.id}) == before  # still a customer
    assert (await refresh(client, customer.refresh_token))["userErrors"] == []


async def test_accounts_made_by_the_operator_log_in_where_verification_comes_first(
    db, env, app_with, make_settings
):
    """create-admin and the demo accounts vouch for their emails: with
    SHOPGRAPH_REGISTRATION_REQUIRES_VERIFICATION=true they log in at once."""
    created = shopgraph(
        "create-admin",
        "--email",
        "boss@shop.test",
        env={**env, "SHOPGRAPH_ADMIN_PASSWORD": "a long secret"},
    )
    seeded = shopgraph("seed", env=env)
    assert created.returncode == 0 and seeded.returncode == 0, created.stderr + seeded.stderr
    demo = {
        line.split()[2]: line.split()[4]
        for line in seeded.stdout.splitlines()
        if line.startswith("demo ")
    }
    assert sorted(demo) == ["admin@example.com", "customer@example.com"]

    strict = make_settings(registration_requires_verification=True)
    async with app_with(strict) as http:
        for email, password in [("boss@shop.test", "a long secret"), *demo.items()]:
            tokens = await log_in(http, email, password)
            assert tokens["userErrors"] == [] and tokens["accessToken"], (email, tokens)
    async for user in db.users.find({}):
        assert user.get("emailVerifiedAt") is not None, user["email"]


async def verify_email_of(db, user_id) -> None:
    """As `verifyEmail` with the mailed code does."""
    users = Datasources.for_database(db).users
    document = await users.by_ids([user_id], None)
    assert await users.mark_email_verified(user_id, document[user_id]["email"])


async def test_create_admin_promote_refuses_an_unverified_email(db, env, client, customer):
    """Whoever registered the email first would become admin: the owner proves the mailbox
    first."""
    before = await db.users.find_one({"_id": customer.id})

    result = shopgraph("create-admin", "--email", customer.email, "--promote", env=env)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "'customer@shop.test': This account's email address is not verified" in result.stderr
    assert "requestEmailVerification" in result.stderr and "verify it first" in result.stderr
    assert await db.users.find_one({"_id": customer.id}) == before  # still a customer
    assert (await refresh(client, customer.refresh_token))["userErrors"] == []


async def test_create_admin_promote_names_the_account_keeps_its_password_and_logs_it_out(
    db, env, client, customer, other_customer
):
    await verify_email_of(db, customer.id)
    result = shopgraph(
        "create-admin",
        "--email",
        "customer@shop.test",
        "--promote",
        env={**env, "SHOPGRAPH_ADMIN_PASSWORD": "not for a promotion"},
    )

    assert result.returncode == 0, result.stderr
    assert "SHOPGRAPH_ADMIN_PASSWORD was ignored" in result.stdout
    stored = await db.users.find_one({"_id": customer.id})
    assert stored["role"] == "ADMIN"
    promoted = result.stdout.splitlines()[0]
    assert promoted.startswith("promoted customer@shop.test (name 'Test', ")
    assert f"id {customer.id}" in promoted
    assert f"registered {stored['createdAt']:%Y-%m-%d %H:%M:%S}" in promoted
    assert f"email verified {stored['emailVerifiedAt']:%Y-%m-%d %H:%M:%S}" in promoted
    assert "from customer to admin" in promoted
    PasswordHasher().verify(stored["passwordHash"], customer.password)
    assert_refused_refresh(await refresh(client, customer.refresh_token))
    assert (await refresh(client, other_customer.refresh_token))["userErrors"] == []
    relogin = await log_in(client, customer.email, customer.password)
    assert relogin["user"]["role"] == "ADMIN"


async def test_create_admin_promote_of_an_admin_changes_nothing(db, env, client, admin):
    result = shopgraph("create-admin", "--email", admin.email, "--promote", env=env)

    assert result.returncode == 0, result.stderr
    assert "email not verified) is already an admin; nothing changed" in result.stdout
    assert (await refresh(client, admin.refresh_token))["userErrors"] == []


async def test_create_admin_promote_without_an_account_creates_nothing(db, env):
    result = shopgraph(
        "create-admin",
        "--email",
        "nobody@shop.test",
        "--promote",
        env={**env, "SHOPGRAPH_ADMIN_PASSWORD": "a long secret"},
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "'nobody@shop.test': No account has this email" in result.stderr
    assert "without --promote" in result.stderr
    assert await db.users.count_documents({}) == 0


async def test_create_admin_without_a_password_or_terminal_says_what_to_do(db, env):
    result = shopgraph("create-admin", "--email", "new@shop.test", env=env)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SHOPGRAPH_ADMIN_PASSWORD" in result.stderr
    assert await db.users.count_documents({}) == 0


async def test_create_admin_refuses_a_weak_password(db, env):
    result = shopgraph(
        "create-admin", "--email", "new@shop.test", env={**env, "SHOPGRAPH_ADMIN_PASSWORD": "short"}
    )
    assert result.returncode != 0
    assert "8 to 256 characters" in result.stderr
    assert await db.users.count_documents({}) == 0


def test_production_refuses_to_start_without_a_jwt_secret(env):
    result = shopgraph(
        "serve", "--port", str(free_port()), env={**env, "SHOPGRAPH_ENVIRONMENT": "production"}
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "SHOPGRAPH_JWT_SECRET" in result.stderr


def test_production_refuses_the_test_payment_gateway_unless_allowed(env):
    production = {"SHOPGRAPH_ENVIRONMENT": "production", "SHOPGRAPH_JWT_SECRET": "s" * 40}
    result = shopgraph("serve", "--port", str(free_port()), env={**env, **production})

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "SHOPGRAPH_ALLOW_TEST_GATEWAY" in result.stderr


def test_production_serves_with_the_test_gateway_when_allowed(env):
    allowed = {
        "SHOPGRAPH_ENVIRONMENT": "production",
        "SHOPGRAPH_JWT_SECRET": "s" * 40,
        "SHOPGRAPH_ALLOW_TEST_GATEWAY": "true",
    }
    port = free_port()
    server = _serve({**env, **allowed}, port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output


async def test_serve_refuses_a_websocket_frame_over_the_body_limit_from_its_header(env):
    """Announced as 14 MB, it is refused with 1009 before its payload is read, and the
    server goes on answering."""
    port = free_port()
    server = _serve({**env, "SHOPGRAPH_MAX_BODY_BYTES": "100000"}, port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        async with connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=[TRANSPORT_WS]) as ws:
            mask = os.urandom(4)
            header = bytes([0x81, 0x80 | 127]) + (14_000_000).to_bytes(8, "big") + mask
            ws.transport.write(header + bytes(b ^ mask[i % 4] for i, b in enumerate(b"{")))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1009
        assert _get_json(f"http://127.0.0.1:{port}/healthz") == {"status": "ok"}
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output


async def test_serve_counts_sockets_by_the_peer_not_a_forwarded_for_it_does_not_trust(env):
    """Without SHOPGRAPH_TRUSTED_PROXIES, an X-Forwarded-For header names nobody: sockets
    from one peer claiming other addresses still count as that peer's."""
    port = free_port()
    server = _serve({**env, "SHOPGRAPH_MAX_WS_PER_CLIENT": "1"}, port)
    url = f"ws://127.0.0.1:{port}/graphql"
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        async with connect(url, subprotocols=[TRANSPORT_WS]) as first:
            await first.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await first.recv()) == {"type": "connection_ack"}
            spoofed = {"X-Forwarded-For": "198.51.100.23"}
            async with connect(url, subprotocols=[TRANSPORT_WS], additional_headers=spoofed) as ws:
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 10)
            assert ws.close_code == 1013
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output


async def test_production_serve_seeds_no_demo_catalog_and_no_demo_accounts(db, env):
    production = {
        "SHOPGRAPH_ENVIRONMENT": "production",
        "SHOPGRAPH_JWT_SECRET": "s" * 40,
        "SHOPGRAPH_ALLOW_TEST_GATEWAY": "true",
    }
    port = free_port()
    server = _serve({**env, **production}, port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        visible = _product_count(f"http://127.0.0.1:{port}")
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)

    assert server.returncode == 0, output
    assert "production: seeded nothing (no demo catalog, no demo accounts)" in output
    assert "demo admin" not in output
    assert visible == 0
    assert await db.products.count_documents({}) == 0
    assert await db.users.count_documents({}) == 0


def test_production_refuses_a_short_jwt_secret(env):
    short = {"SHOPGRAPH_ENVIRONMENT": "production", "SHOPGRAPH_JWT_SECRET": "too-short"}
    result = shopgraph("serve", "--port", str(free_port()), env={**env, **short})

    assert result.returncode != 0
    assert "at least 32 bytes" in result.stderr


def test_development_keeps_one_generated_jwt_secret(env, tmp_path):
    shopgraph("export-schema", env=env)  # no secret needed for this
    assert not (tmp_path / "jwt-secret").exists()
    port = free_port()
    server = _serve(env, port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    secret_file = tmp_path / "jwt-secret"
    assert len(secret_file.read_text()) >= 32
    assert secret_file.stat().st_mode & 0o077 == 0  # readable by the owner only


async def test_seed_reset_wipes_and_reseeds(db, env):
    await db.products.insert_one({"sku": "LEFTOVER", "name": "x", "price": 1, "stock": 1})
    shopgraph("seed", env=env)

    result = shopgraph("seed", "--reset", env=env)

    assert result.returncode == 0, result.stderr
    assert await db.products.count_documents({}) == 72
    assert await db.products.find_one({"sku": "LEFTOVER"}) is None


def test_export_schema_prints_the_sdl(env):
    result = shopgraph("export-schema", env=env)
    assert result.returncode == 0
    assert result.stdout == (Path(__file__).parents[1] / "schema.graphql").read_text()


def test_unreachable_mongodb_is_one_line_without_traceback(env):
    env = {
        **env,
        "MONGODB_URI": f"mongodb://127.0.0.1:{free_port()}",
        "SHOPGRAPH_MONGODB_TIMEOUT_MS": "300",
    }
    result = shopgraph("serve", "--port", str(free_port()), env=env)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "unreachable" in result.stderr and "MONGODB_URI" in result.stderr


def test_invalid_settings_are_one_line(env):
    result = shopgraph("seed", env={**env, "SHOPGRAPH_MAX_PAGE_SIZE": "lots"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "max_page_size" in result.stderr


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _wait_ready(base: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if _get_json(f"{base}/readyz")["status"] == "ready":
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not become ready")


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "shopgraph", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _product_count(base: str) -> int:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": "{ products { totalCount } }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["data"]["products"]["totalCount"]


def _embedded_pid(data_dir: Path) -> int:
    return int((data_dir / "mongodb.pid").read_text())


def test_serve_with_embedded_mongodb_seeds_stops_cleanly_and_keeps_data(env, tmp_path):
    env = {k: v for k, v in env.items() if k != "MONGODB_URI"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    server = _serve(env, port)
    try:
        _wait_ready(base, server)
        visible = _product_count(base)
        database_pid = _embedded_pid(tmp_path)
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    finally:
        server.kill()

    assert server.returncode == 0, output
    assert f"GraphiQL at {base}/graphql" in output
    assert "Traceback" not in output
    assert visible > 60
    assert not Path(f"/proc/{database_pid}").exists(), "the embedded MongoDB outlived the server"
    assert (tmp_path / "mongodb.sqlite").exists()

    restarted = _serve(env, port)
    try:
        _wait_ready(base, restarted)
        assert _product_count(base) == visible  # the same data, not seeded twice
        restarted.send_signal(signal.SIGINT)
        restarted.communicate(timeout=30)
    finally:
        restarted.kill()
    assert restarted.returncode == 0
