"""Logs as a log collector reads them from a real `shopgraph serve`: with
SHOPGRAPH_LOG_FORMAT=json every line is a JSON object with the request's context, and no
line holds a password, a token or an email address."""

import json
import logging
import re
import stat
import sys
from typing import Any

import httpx
import pytest

from shopgraph.server.logs import (
    OPERATION,
    REQUEST_ID,
    VIEWER_ID,
    JsonFormatter,
    RequestContext,
    TextFormatter,
    redact,
)
from shopgraph.settings import LogFormat, Settings
from tests.conftest import LOGIN
from tests.helpers import PAY, REFRESH, REGISTER, gql_of
from tests.served import serve, serve_env

EMAIL = "log-reader@shop.test"
PASSWORD = "a password nobody logs"
CLIENT_REQUEST_ID = "checkout-4f1c2a9b"
PLACE = """mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id status } userErrors { field message code } }
}"""
IN_STOCK = """query InStock {
  products(first: 50, filter: {inStock: true}) { edges { node { id variants { id stock } } } }
}"""
REQUIRED = ("time", "level", "logger", "message")


def _lines(output: str) -> list[dict[str, Any]]:
    """Every line parsed; a line that is not a JSON object fails the test."""
    entries = []
    for text in output.splitlines():
        entry = json.loads(text)
        assert isinstance(entry, dict), text
        for field in REQUIRED:
            assert isinstance(entry.get(field), str) and entry[field], text
        entries.append(entry)
    return entries


def _ok(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    payload = body["data"][field]
    assert payload["userErrors"] == [], body
    return payload


def _one_variant_in_stock(body: dict[str, Any]) -> str:
    for edge in body["data"]["products"]["edges"]:
        variants = edge["node"]["variants"]
        if len(variants) == 1 and variants[0]["stock"] >= 2:
            return edge["node"]["id"]
    raise AssertionError(f"no product with one variant in stock: {body}")


async def test_json_logs_carry_the_context_and_no_secrets(db, mongodb_target, tmp_path):
    data_dir = tmp_path / "data"
    env = serve_env(mongodb_target, data_dir, SHOPGRAPH_LOG_FORMAT="json")
    server = await serve(env, tmp_path / "serve.log")
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            gql = gql_of(http)
            new_account = {"email": EMAIL, "password": PASSWORD, "name": "Lu"}
            _ok(await gql(REGISTER, {"input": new_account}), "register")
            login = _ok(await gql(LOGIN, {"email": EMAIL, "password": PASSWORD}), "login")
            headers = {"Authorization": f"Bearer {login['accessToken']}"}
            product = _one_variant_in_stock(await gql(IN_STOCK))
            items = [{"productId": product, "quantity": 1}]
            order = _ok(
                await gql(
                    PLACE,
                    {"input": {"items": items}},
                    headers={**headers, "X-Request-ID": CLIENT_REQUEST_ID},
                ),
                "placeOrder",
            )["order"]
            _ok(
                await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=headers),
                "payOrder",
            )
            renewed = _ok(
                await gql(REFRESH, {"refreshToken": login["refreshToken"]}), "refreshToken"
            )
            # A query string with the email in it, as a careless client might send.
            looked = await http.get("/graphql", params={"query": "{ __typename }", "who": EMAIL})
            assert looked.status_code == 200, looked.text
            demo = (data_dir / "demo-accounts").read_text().split()
            demo_admin = _ok(await gql(LOGIN, {"email": demo[1], "password": demo[2]}), "login")
            assert demo_admin["user"]["role"] == "ADMIN"
    finally:
        output = server.stop()

    entries = _lines(output)
    user_id = (await db.users.find_one({"email": EMAIL}))["_id"]
    place = [
        e for e in entries if e["logger"] == "shopgraph.graphql" and e.get("operation") == "Place"
    ]
    assert len(place) == 1, place
    assert place[0]["request_id"] == CLIENT_REQUEST_ID
    assert place[0]["viewer_id"] == str(user_id)
    assert place[0]["outcome"] == "ok" and place[0]["operation_type"] == "mutation"
    assert isinstance(place[0]["duration_ms"], float) and place[0]["duration_ms"] > 0
    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    placed = [e for e in access if e.get("request_id") == CLIENT_REQUEST_ID]
    assert [(e["method"], e["path"], e["status"]) for e in placed] == [("POST", "/graphql", 200)]
    pay = [e for e in entries if e.get("operation") == "Pay" and "duration_ms" in e]
    assert pay and re.fullmatch(r"[0-9a-f]{32}", pay[0]["request_id"]), pay
    assert "/graphql" in [e["path"] for e in access if e["method"] == "GET"]
    assert all("?" not in e["path"] for e in access)
    assert any(e["logger"] == "uvicorn.error" for e in entries)
    assert any("demo-accounts" in e["message"] for e in entries)
    assert stat.S_IMODE((data_dir / "demo-accounts").stat().st_mode) == 0o600

    secrets = {
        "the demo admin's password": demo[2],
        "the demo customer's password": demo[5],
        "the demo admin's email": demo[1],
        "the customer's password": PASSWORD,
        "the customer's email": EMAIL,
        "an access token": login["accessToken"],
        "a refresh token": login["refreshToken"],
        "a renewed access token": renewed["accessToken"],
        "a renewed refresh token": renewed["refreshToken"],
    }
    leaked = [what for what, secret in secrets.items() if secret in output]
    assert leaked == []


async def test_text_logs_show_the_demo_passwords_once_on_first_start(mongodb_target, tmp_path):
    """The development default: a developer reads them where `make run` runs."""
    data_dir = tmp_path / "data"
    server = await serve(serve_env(mongodb_target, data_dir), tmp_path / "serve.log")
    output = server.stop()
    shown = re.findall(r"^demo (admin|customer): (\S+) / (\S+) \(shown once", output, re.M)
    assert [(role, email) for role, email, _ in shown] == [
        ("admin", "admin@example.com"),
        ("customer", "customer@example.com"),
    ]
    assert not (data_dir / "demo-accounts").exists()
    assert re.search(r"^\S+ \S+ INFO uvicorn.access: .*\"GET /readyz HTTP/1.1\" 200$", output, re.M)


@pytest.mark.parametrize(
    ("environment", "given", "expected"),
    [
        ("development", None, LogFormat.TEXT),
        ("production", None, LogFormat.JSON),
        ("development", "json", LogFormat.JSON),
        ("production", "text", LogFormat.TEXT),
    ],
)
def test_the_log_format_follows_the_environment_unless_given(environment, given, expected):
    settings = Settings(_env_file=None, environment=environment, log_format=given)  # type: ignore[call-arg]
    assert settings.log_format_in_use is expected


def _record(name: str, message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_the_request_context_and_no_query_string():
    tokens = [REQUEST_ID.set("req-12345678"), OPERATION.set("Place"), VIEWER_ID.set("64ab")]
    try:
        record = _record(
            "uvicorn.access",
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/graphql?query=%7Bme%7D&email=a%40b.example",
            "1.1",
            200,
        )
        assert RequestContext().filter(record)
        entry = json.loads(JsonFormatter().format(record))
    finally:
        for variable, token in zip((REQUEST_ID, OPERATION, VIEWER_ID), tokens, strict=True):
            variable.reset(token)
    assert entry["message"] == '127.0.0.1:5000 - "GET /graphql HTTP/1.1" 200'
    assert (entry["request_id"], entry["operation"], entry["viewer_id"]) == (
        "req-12345678",
        "Place",
        "64ab",
    )
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/graphql", 200)
    assert entry["time"].endswith("+00:00") and entry["level"] == "INFO"


def test_emails_and_tokens_that_reach_a_message_are_replaced():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    text = f"mail to Someone.Else+x@mail.example.org failed; token {jwt}; Bearer abc.def"
    assert redact(text) == "mail to [email] failed; token [token]; Bearer [token]"
    try:
        raise ValueError(f"user ada@example.com sent {jwt}")
    except ValueError:
        record = _record("shopgraph", "failed")
        record.exc_info = sys.exc_info()
    for formatter in (JsonFormatter(), TextFormatter()):
        formatted = formatter.format(record)
        assert "ada@example.com" not in formatted and jwt not in formatted
        assert "[email]" in formatted
