"""Accounts end to end over the real app: register, login, refresh, logout, password and
profile changes, login throttling, rehashing, and authentication over WebSocket."""

import asyncio
import hashlib
import json
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from bson import ObjectId
from starlette.websockets import WebSocketDisconnect

from shopgraph.server.app import create_app
from tests.conftest import TEST_JWT_SECRET, create_user, graphql, log_in

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; httpx still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

USER_FIELDS = "user { id email name role }"
USER_ERRORS = "userErrors { field message code }"
AUTH_FIELDS = f"accessToken refreshToken expiresIn {USER_FIELDS} {USER_ERRORS}"
REGISTER = f"""mutation Register($input: RegisterInput!) {{
  register(input: $input) {{ {AUTH_FIELDS} }}
}}"""
LOGIN = f"""mutation Login($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ {AUTH_FIELDS} }}
}}"""
REFRESH = f"""mutation Refresh($refreshToken: String!) {{
  refreshToken(refreshToken: $refreshToken) {{ {AUTH_FIELDS} }}
}}"""
LOGOUT = f"""mutation Logout($refreshToken: String!) {{
  logout(refreshToken: $refreshToken) {{ ok {USER_ERRORS} }}
}}"""
CHANGE_PASSWORD = f"""mutation Change($current: String!, $new: String!) {{
  changePassword(currentPassword: $current, newPassword: $new) {{ {USER_FIELDS} {USER_ERRORS} }}
}}"""
UPDATE_PROFILE = f"""mutation Update($name: String!) {{
  updateProfile(input: {{name: $name}}) {{ {USER_FIELDS} {USER_ERRORS} }}
}}"""
ME = "{ me { id email name role } }"

PASSWORD = "correct horse battery"
INVALID_CREDENTIALS_MESSAGE = "Wrong email or password."
# The app's argon2 parameters under test (see conftest's make_settings).
APP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(access_token: str) -> dict[str, Any]:
    return jwt.decode(
        access_token,
        TEST_JWT_SECRET,
        algorithms=["HS256"],
        audience="shopgraph-api",
        issuer="shopgraph",
    )


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def assert_no_tokens(payload: dict[str, Any]) -> None:
    assert payload["accessToken"] is None
    assert payload["refreshToken"] is None
    assert payload["user"] is None


async def register(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, name: str = "Ada"
):
    body = await graphql(
        client, REGISTER, {"input": {"email": email, "password": password, "name": name}}
    )
    assert "errors" not in body, body
    return body["data"]["register"]


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    body = await graphql(client, LOGIN, {"email": email, "password": password})
    assert "errors" not in body, body
    return body["data"]["login"]


async def refresh(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, REFRESH, {"refreshToken": token})
    assert "errors" not in body, body
    return body["data"]["refreshToken"]


async def logout(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, LOGOUT, {"refreshToken": token})
    assert "errors" not in body, body
    return body["data"]["logout"]


async def me(client: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
    return await graphql(client, ME, headers=bearer(access_token))


def assert_refused_refresh(payload: dict[str, Any]) -> None:
    assert payload["userErrors"] == [
        {
            "field": ["refreshToken"],
            "message": "This refresh token is no longer valid; log in again.",
            "code": "INVALID_TOKEN",
        }
    ]
    assert_no_tokens(payload)


def assert_unauthenticated(body: dict[str, Any]) -> None:
    assert [error["extensions"]["code"] for error in body.get("errors", [])] == [
        "UNAUTHENTICATED"
    ], body


# --- register → login → me → refresh → logout ---------------------------------------------


async def test_register_login_me_refresh_logout(client, db):
    registered = await register(client, "  New.User@Shop.TEST ", name="  Ada Lovelace  ")

    assert registered["userErrors"] == []
    assert registered["user"]["email"] == "new.user@shop.test"
    assert registered["user"]["name"] == "Ada Lovelace"
    assert registered["user"]["role"] == "CUSTOMER"
    assert registered["expiresIn"] == 15 * 60
    assert registered["accessToken"] and registered["refreshToken"]
    document = await db.users.find_one({"email": "new.user@shop.test"})
    assert document is not None
    assert document["passwordHash"].startswith("$argon2id$")
    assert PASSWORD not in json.dumps(document, default=str)
    assert claims_of(registered["accessToken"])["sub"] == str(document["_id"])
    # The token from register works by itself.
    assert (await me(client, registered["accessToken"]))["data"]["me"]["email"] == (
        "new.user@shop.test"
    )

    logged_in = await login(client, "NEW.USER@shop.test", PASSWORD)
    assert logged_in["userErrors"] == []
    assert logged_in["user"] == registered["user"]
    claims = claims_of(logged_in["accessToken"])
    assert claims["sub"] == str(document["_id"])
    assert claims["typ"] == "access"
    assert claims["role"] == "CUSTOMER"
    # A login starts its own session.
    assert claims["sid"] != claims_of(registered["accessToken"])["sid"]

    body = await me(client, logged_in["accessToken"])
    assert body == {"data": {"me": registered["user"]}}

    refreshed = await refresh(client, logged_in["refreshToken"])
    assert refreshed["userErrors"] == []
    assert refreshed["user"] == registered["user"]
    assert refreshed["expiresIn"] == 15 * 60
    assert refreshed["refreshToken"] not in (None, logged_in["refreshToken"])
    assert refreshed["accessToken"] not in (None, logged_in["accessToken"])
    assert claims_of(refreshed["accessToken"])["sid"] == claims["sid"]  # same session
    assert (await me(client, refreshed["accessToken"]))["data"]["me"] == registered["user"]

    assert await logout(client, refreshed["refreshToken"]) == {"ok": True, "userErrors": []}

    assert_refused_refresh(await refresh(client, refreshed["refreshToken"]))
    # Logging out one session leaves the registration's session alone.
    assert (await refresh(client, registered["refreshToken"]))["userErrors"] == []


# --- register validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": "no-dot@localhost"}, "email", "Enter a valid email address."),
        ({"email": "two@@shop.test"}, "email", "Enter a valid email address."),
        ({"email": "spa ce@shop.test"}, "email", "Enter a valid email address."),
        ({"email": "   "}, "email", "Enter a valid email address."),
        ({"email": "a" * 65 + "@shop.test"}, "email", "Enter a valid email address."),
        ({"email": "a@" + "b" * 250 + ".test"}, "email", "Enter a valid email address."),
        ({"password": "short"}, "password", "The password must be 8 to 256 characters long."),
        ({"password": "1234567"}, "password", "The password must be 8 to 256 characters long."),
        ({"password": "p" * 257}, "password", "The password must be 8 to 256 characters long."),
        ({"password": "ada@shop.test"}, "password", "The password must not be your email."),
        ({"password": " ADA@Shop.test "}, "password", "The password must not be your email."),
        ({"name": ""}, "name", "The name must be 1 to 100 characters long."),
        ({"name": "   "}, "name", "The name must be 1 to 100 characters long."),
        ({"name": "n" * 101}, "name", "The name must be 1 to 100 characters long."),
    ],
)
async def test_register_refuses_invalid_input(client, db, changes, field, message):
    values = {"email": "ada@shop.test", "password": PASSWORD, "name": "Ada", **changes}

    payload = await register(client, **values)

    assert payload["userErrors"] == [
        {"field": ["input", field], "message": message, "code": "INVALID"}
    ]
    assert_no_tokens(payload)
    assert await db.users.count_documents({}) == 0
    assert await db.refresh_tokens.count_documents({}) == 0


async def test_register_reports_every_invalid_field_at_once(client, db):
    payload = await register(client, "nope", password="short", name=" ")

    assert [(error["field"], error["code"]) for error in payload["userErrors"]] == [
        (["input", "email"], "INVALID"),
        (["input", "password"], "INVALID"),
        (["input", "name"], "INVALID"),
    ]
    assert await db.users.count_documents({}) == 0


@pytest.mark.parametrize(
    "values",
    [
        {"password": "p" * 8},
        {"password": "é" * 8},  # counted in characters, not bytes
        {"password": "p" * 256},
        {"password": "ü" * 256},
        {"name": "n"},
        {"name": "n" * 100},
        {"name": "  " + "n" * 100 + "  "},  # stripped first
    ],
)
async def test_register_accepts_the_limits(client, values):
    payload = await register(client, **{"email": "ada@shop.test", **values})

    assert payload["userErrors"] == []
    assert payload["accessToken"]


async def test_a_long_password_is_hashed_whole(client):
    """No truncation: a password sharing a long prefix with the real one is wrong."""
    password = "x" * 200 + "tail-one"
    await register(client, "ada@shop.test", password=password)

    assert codes(await login(client, "ada@shop.test", "x" * 200 + "tail-two")) == [
        "INVALID_CREDENTIALS"
    ]
    assert (await login(client, "ada@shop.test", password))["userErrors"] == []


@pytest.mark.parametrize("again", ["ada@shop.test", "ADA@Shop.Test", "  ada@shop.test\t"])
async def test_register_refuses_a_taken_email(client, db, again):
    assert (await register(client, "ada@shop.test"))["userErrors"] == []

    payload = await register(client, again, password="another password", name="Eve")

    assert payload["userErrors"] == [
        {
            "field": ["input", "email"],
            "message": "An account with this email exists.",
            "code": "ALREADY_EXISTS",
        }
    ]
    assert_no_tokens(payload)
    assert await db.users.count_documents({}) == 1
    # The first account is untouched.
    assert (await login(client, "ada@shop.test", PASSWORD))["userErrors"] == []
    assert codes(await login(client, "ada@shop.test", "another password")) == [
        "INVALID_CREDENTIALS"
    ]


async def test_concurrent_registrations_of_one_email_create_one_account(client, db):
    spellings = ["race@shop.test", "RACE@shop.test", " Race@Shop.Test "]
    payloads = await asyncio.gather(
        *(register(client, spellings[n % 3], password=f"password number {n}") for n in range(20))
    )

    winners = [payload for payload in payloads if payload["userErrors"] == []]
    losers = [payload for payload in payloads if payload["userErrors"] != []]
    assert len(winners) == 1
    assert winners[0]["accessToken"] and winners[0]["refreshToken"]
    assert len(losers) == 19
    assert all(codes(payload) == ["ALREADY_EXISTS"] for payload in losers)
    assert all(payload["accessToken"] is None for payload in losers)
    assert await db.users.count_documents({}) == 1
    assert await db.users.count_documents({"email": "race@shop.test"}) == 1
    assert await db.refresh_tokens.count_documents({}) == 1


# --- refresh tokens ---------------------------------------------------------------------


async def test_refresh_rotates_the_token_and_refuses_the_old_one(client, customer):
    first = await refresh(client, customer.refresh_token)
    second = await refresh(client, first["refreshToken"])

    assert first["userErrors"] == [] and second["userErrors"] == []
    assert len({customer.refresh_token, first["refreshToken"], second["refreshToken"]}) == 3
    assert claims_of(second["accessToken"])["sid"] == claims_of(customer.access_token)["sid"]
    assert (await me(client, second["accessToken"]))["data"]["me"]["email"] == customer.email

    assert_refused_refresh(await refresh(client, first["refreshToken"]))


async def test_reusing_a_rotated_token_revokes_its_whole_family(client, db, customer):
    other_session = await log_in(client, customer.email, customer.password)
    rotated = await refresh(client, customer.refresh_token)
    newest = await refresh(client, rotated["refreshToken"])
    assert newest["userErrors"] == []

    # The first token shows up again: it leaked.
    assert_refused_refresh(await refresh(client, customer.refresh_token))

    # The thief's or the owner's newest token of that family is dead too...
    assert_refused_refresh(await refresh(client, newest["refreshToken"]))
    family = claims_of(customer.access_token)["sid"]
    assert await db.refresh_tokens.count_documents({"familyId": family, "revokedAt": None}) == 0
    # ...while the user's other session goes on.
    still = await refresh(client, other_session["refreshToken"])
    assert still["userErrors"] == []
    assert (await refresh(client, still["refreshToken"]))["userErrors"] == []


async def test_reusing_a_token_revokes_the_family_even_when_nothing_rotated_after_it(
    client, customer
):
    rotated = await refresh(client, customer.refresh_token)

    assert_refused_refresh(await refresh(client, customer.refresh_token))
    assert_refused_refresh(await refresh(client, rotated["refreshToken"]))


async def test_concurrent_refreshes_with_one_token_issue_at_most_one_live_token(client, customer):
    payloads = await asyncio.gather(*(refresh(client, customer.refresh_token) for _ in range(5)))

    issued = [payload["refreshToken"] for payload in payloads if payload["userErrors"] == []]
    assert len(issued) <= 1
    # The token was presented again: whatever was issued is revoked with its family.
    for token in issued:
        assert_refused_refresh(await refresh(client, token))


@pytest.mark.parametrize("token", ["", "unknown-token", "x" * 500])
async def test_refresh_with_an_unknown_token_is_refused(client, token):
    assert_refused_refresh(await refresh(client, token))


async def test_refresh_of_an_access_token_is_refused(client, customer):
    assert_refused_refresh(await refresh(client, customer.access_token))


async def test_an_expired_refresh_token_is_refused(client, db, customer):
    token_hash = hashlib.sha256(customer.refresh_token.encode()).hexdigest()
    record = await db.refresh_tokens.find_one({"tokenHash": token_hash})
    # Replaced whole: the embedded server stores a datetime written with `$set` as a
    # string. A real MongoDB keeps the record until its TTL monitor runs (the query must
    # refuse it meanwhile); the embedded one hides it at once.
    expired = {**record, "expiresAt": datetime.now(UTC) - timedelta(seconds=1)}
    assert (await db.refresh_tokens.replace_one({"_id": record["_id"]}, expired)).matched_count

    assert_refused_refresh(await refresh(client, customer.refresh_token))


async def test_refresh_tokens_are_stored_only_as_sha256_hashes(client, db, customer):
    tokens = [customer.refresh_token]
    tokens.append((await refresh(client, tokens[-1]))["refreshToken"])
    tokens.append((await log_in(client, customer.email, customer.password))["refreshToken"])
    tokens.append((await register(client, "fresh@shop.test"))["refreshToken"])

    documents = await db.refresh_tokens.find({}).to_list()
    assert len(documents) == len(tokens)
    assert sorted(document["tokenHash"] for document in documents) == sorted(
        hashlib.sha256(token.encode()).hexdigest() for token in tokens
    )
    stored = json.dumps(documents, default=str)
    for token in tokens:
        assert len(token) >= 43  # 256 random bits
        assert token not in stored
        assert token[:16] not in stored


# --- logout -----------------------------------------------------------------------------


async def test_logout_revokes_the_session_and_only_that_session(client, customer):
    other_session = await log_in(client, customer.email, customer.password)
    rotated = await refresh(client, customer.refresh_token)

    assert await logout(client, rotated["refreshToken"]) == {"ok": True, "userErrors": []}

    assert_refused_refresh(await refresh(client, rotated["refreshToken"]))
    assert_refused_refresh(await refresh(client, customer.refresh_token))
    assert (await refresh(client, other_session["refreshToken"]))["userErrors"] == []


async def test_logout_with_an_unknown_token_is_refused(client):
    assert await logout(client, "never-issued") == {
        "ok": False,
        "userErrors": [
            {
                "field": ["refreshToken"],
                "message": "This refresh token is no longer valid; log in again.",
                "code": "INVALID_TOKEN",
            }
        ],
    }


# --- changePassword ---------------------------------------------------------------------


async def change_password(client, account_token: str, current: str, new: str) -> dict[str, Any]:
    body = await graphql(
        client, CHANGE_PASSWORD, {"current": current, "new": new}, headers=bearer(account_token)
    )
    assert "errors" not in body, body
    return body["data"]["changePassword"]


async def test_change_password_with_a_wrong_current_password_changes_nothing(client, db, customer):
    other_session = await log_in(client, customer.email, customer.password)
    before = await db.users.find_one({"_id": customer.id})

    payload = await change_password(
        client, customer.access_token, "not the password", "brand new password"
    )

    assert payload == {
        "user": None,
        "userErrors": [
            {
                "field": ["currentPassword"],
                "message": "The current password is wrong.",
                "code": "INVALID_CREDENTIALS",
            }
        ],
    }
    assert (await db.users.find_one({"_id": customer.id}))["passwordHash"] == before["passwordHash"]
    assert (await refresh(client, other_session["refreshToken"]))["userErrors"] == []
    assert codes(await login(client, customer.email, "brand new password")) == [
        "INVALID_CREDENTIALS"
    ]


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short", "The password must be 8 to 256 characters long."),
        ("p" * 257, "The password must be 8 to 256 characters long."),
        ("customer@shop.test", "The password must not be your email."),
        ("Customer@Shop.Test", "The password must not be your email."),
    ],
)
async def test_change_password_checks_the_new_password(client, db, customer, new, message):
    other_session = await log_in(client, customer.email, customer.password)
    before = await db.users.find_one({"_id": customer.id})

    payload = await change_password(client, customer.access_token, customer.password, new)

    assert payload == {
        "user": None,
        "userErrors": [{"field": ["newPassword"], "message": message, "code": "INVALID"}],
    }
    assert (await db.users.find_one({"_id": customer.id}))["passwordHash"] == before["passwordHash"]
    assert (await refresh(client, other_session["refreshToken"]))["userErrors"] == []


async def test_change_password_ends_other_sessions_and_keeps_the_current_one(
    client, db, customer, other_customer
):
    second = await log_in(client, customer.email, customer.password)
    third = await log_in(client, customer.email, customer.password)
    # The current session has rotated once: its live token is the rotated one.
    current = await refresh(client, customer.refresh_token)

    payload = await change_password(
        client, current["accessToken"], customer.password, "brand new password"
    )

    assert payload["userErrors"] == []
    assert payload["user"]["email"] == customer.email
    document = await db.users.find_one({"_id": customer.id})
    assert APP_HASHER.verify(document["passwordHash"], "brand new password")
    assert_refused_refresh(await refresh(client, second["refreshToken"]))
    assert_refused_refresh(await refresh(client, third["refreshToken"]))
    kept = await refresh(client, current["refreshToken"])
    assert kept["userErrors"] == []
    assert (await refresh(client, kept["refreshToken"]))["userErrors"] == []
    # Another user's sessions are not touched.
    assert (await refresh(client, other_customer.refresh_token))["userErrors"] == []

    assert codes(await login(client, customer.email, customer.password)) == ["INVALID_CREDENTIALS"]
    assert (await login(client, customer.email, "brand new password"))["userErrors"] == []


async def test_wrong_current_passwords_are_throttled_with_logins(client, db, customer):
    """A stolen access token must not become an unthrottled way to guess the password."""
    before = await db.users.find_one({"_id": customer.id})
    for _ in range(3):
        wrong = await change_password(client, customer.access_token, "a guess", "new password 1")
        assert codes(wrong) == ["INVALID_CREDENTIALS"]
    for _ in range(2):  # guesses through login add to the same count
        assert codes(await login(client, customer.email, "a guess")) == ["INVALID_CREDENTIALS"]

    refused = await change_password(
        client, customer.access_token, customer.password, "new password 1"
    )
    assert refused == {
        "user": None,
        "userErrors": [
            {
                "field": ["currentPassword"],
                "message": "Too many wrong passwords for this account; try again later.",
                "code": "TOO_MANY_ATTEMPTS",
            }
        ],
    }
    assert (await db.users.find_one({"_id": customer.id}))["passwordHash"] == before["passwordHash"]
    assert codes(await login(client, customer.email, customer.password)) == ["TOO_MANY_ATTEMPTS"]

    await age_login_attempts(db, 16 * 60)  # the window passes
    changed = await change_password(
        client, customer.access_token, customer.password, "new password 1"
    )
    assert changed["userErrors"] == []
    assert await db.login_attempts.count_documents({"email": customer.email}) == 0


async def test_concurrent_wrong_current_passwords_cannot_exceed_the_limit(client, customer):
    payloads = await asyncio.gather(
        *(
            change_password(client, customer.access_token, f"guess {n}", "new password 1")
            for n in range(20)
        )
    )

    checked = [payload for payload in payloads if codes(payload) == ["INVALID_CREDENTIALS"]]
    throttled = [payload for payload in payloads if codes(payload) == ["TOO_MANY_ATTEMPTS"]]
    assert len(checked) + len(throttled) == 20
    assert len(checked) <= 5, f"{len(checked)} of 20 concurrent guesses were checked"


async def test_change_password_needs_a_token(client):
    body = await graphql(client, CHANGE_PASSWORD, {"current": PASSWORD, "new": "x" * 12})

    assert body["data"] is None
    assert_unauthenticated(body)


# --- updateProfile ----------------------------------------------------------------------


async def update_profile(client, token: str, name: str) -> dict[str, Any]:
    body = await graphql(client, UPDATE_PROFILE, {"name": name}, headers=bearer(token))
    assert "errors" not in body, body
    return body["data"]["updateProfile"]


async def test_update_profile_changes_the_name(client, db, customer):
    before = await db.users.find_one({"_id": customer.id})

    payload = await update_profile(client, customer.access_token, "  Grace Hopper ")

    assert payload == {
        "user": {
            "id": customer.global_id,
            "email": customer.email,
            "name": "Grace Hopper",
            "role": "CUSTOMER",
        },
        "userErrors": [],
    }
    after = await db.users.find_one({"_id": customer.id})
    assert after["name"] == "Grace Hopper"
    assert after["updatedAt"] != before["updatedAt"]
    assert after["passwordHash"] == before["passwordHash"]
    assert (await me(client, customer.access_token))["data"]["me"]["name"] == "Grace Hopper"


@pytest.mark.parametrize("name", ["", "    ", "n" * 101])
async def test_update_profile_refuses_an_invalid_name(client, db, customer, name):
    payload = await update_profile(client, customer.access_token, name)

    assert payload == {
        "user": None,
        "userErrors": [
            {
                "field": ["input", "name"],
                "message": "The name must be 1 to 100 characters long.",
                "code": "INVALID",
            }
        ],
    }
    assert (await db.users.find_one({"_id": customer.id}))["name"] == "Test"


async def test_update_profile_changes_only_the_callers_account(
    client, db, customer, other_customer
):
    await update_profile(client, other_customer.access_token, "Someone Else")

    assert (await db.users.find_one({"_id": customer.id}))["name"] == "Test"
    assert (await db.users.find_one({"_id": other_customer.id}))["name"] == "Someone Else"


async def test_update_profile_needs_a_token(client):
    body = await graphql(client, UPDATE_PROFILE, {"name": "Anon"})

    assert body["data"] is None
    assert_unauthenticated(body)


# --- login: answers and throttling ------------------------------------------------------


async def test_unknown_email_and_wrong_password_get_the_same_answer(client, customer):
    unknown = await login(client, "nobody@shop.test", customer.password)
    wrong = await login(client, customer.email, "wrong password")

    assert unknown == wrong
    assert wrong["userErrors"] == [
        {"field": None, "message": INVALID_CREDENTIALS_MESSAGE, "code": "INVALID_CREDENTIALS"}
    ]
    assert_no_tokens(wrong)


async def age_login_attempts(db, seconds: float) -> None:
    """Moves every recorded failure `seconds` into the past.

    Whole documents are replaced: the embedded server stores a datetime written with
    `$set` as a string, which no longer compares as a date.
    """
    async for attempt in db.login_attempts.find({}):
        assert isinstance(attempt["at"], datetime), attempt
        aged = {**attempt, "at": attempt["at"] - timedelta(seconds=seconds)}
        await db.login_attempts.replace_one({"_id": attempt["_id"]}, aged)


async def test_login_is_throttled_after_five_failures_until_the_window_passes(client, db, customer):
    for _ in range(4):
        assert codes(await login(client, customer.email, "wrong password")) == [
            "INVALID_CREDENTIALS"
        ]
    assert codes(await login(client, customer.email.upper(), "wrong password")) == [
        "INVALID_CREDENTIALS"
    ]
    assert await db.login_attempts.count_documents({"email": customer.email}) == 5

    # The right password no longer helps, whatever the email's case.
    for attempt in (customer.email, customer.email.upper(), f"  {customer.email} "):
        refused = await login(client, attempt, customer.password)
        assert refused["userErrors"] == [
            {
                "field": None,
                "message": "Too many failed logins for this email; try again later.",
                "code": "TOO_MANY_ATTEMPTS",
            }
        ]
        assert_no_tokens(refused)

    # The window has not passed yet (15 minutes)...
    await age_login_attempts(db, 14 * 60)
    assert codes(await login(client, customer.email, customer.password)) == ["TOO_MANY_ATTEMPTS"]
    # ...now it has.
    await age_login_attempts(db, 2 * 60)
    allowed = await login(client, customer.email, customer.password)
    assert allowed["userErrors"] == []
    assert allowed["accessToken"]


async def test_throttling_counts_failures_per_email(client, customer, other_customer):
    for _ in range(5):
        await login(client, customer.email, "wrong password")
    assert codes(await login(client, customer.email, customer.password)) == ["TOO_MANY_ATTEMPTS"]

    assert (await login(client, other_customer.email, other_customer.password))["userErrors"] == []
    assert codes(await login(client, other_customer.email, "wrong password")) == [
        "INVALID_CREDENTIALS"
    ]


async def test_unknown_emails_are_throttled_the_same_way(client, db):
    for _ in range(5):
        assert codes(await login(client, "Ghost@Shop.test", "whatever password")) == [
            "INVALID_CREDENTIALS"
        ]
    assert await db.login_attempts.count_documents({"email": "ghost@shop.test"}) == 5

    assert codes(await login(client, "ghost@shop.test", "whatever password")) == [
        "TOO_MANY_ATTEMPTS"
    ]


async def test_a_successful_login_clears_earlier_failures(client, customer):
    for _ in range(4):
        await login(client, customer.email, "wrong password")
    assert (await login(client, customer.email, customer.password))["userErrors"] == []

    for _ in range(4):
        assert codes(await login(client, customer.email, "wrong password")) == [
            "INVALID_CREDENTIALS"
        ]
    assert (await login(client, customer.email, customer.password))["userErrors"] == []


async def test_concurrent_failures_cannot_exceed_the_limit(client, customer):
    """A burst of guesses sent at once must not all be checked before any is counted."""
    payloads = await asyncio.gather(
        *(login(client, customer.email, f"guess number {n}") for n in range(20))
    )

    verified = [payload for payload in payloads if codes(payload) == ["INVALID_CREDENTIALS"]]
    throttled = [payload for payload in payloads if codes(payload) == ["TOO_MANY_ATTEMPTS"]]
    assert len(verified) + len(throttled) == 20
    assert len(verified) <= 5, f"{len(verified)} of 20 concurrent guesses were checked"


async def test_the_throttle_window_passes_in_real_time(db, app_with, make_settings):
    await create_user(db, "ada@shop.test", PASSWORD)
    # Long enough that six logins fit in it with room to spare on a loaded machine.
    async with app_with(make_settings(login_window_seconds=2)) as short:
        for _ in range(5):
            assert codes(await login(short, "ada@shop.test", "wrong password")) == [
                "INVALID_CREDENTIALS"
            ]
        assert codes(await login(short, "ada@shop.test", PASSWORD)) == ["TOO_MANY_ATTEMPTS"]

        await asyncio.sleep(2.1)

        assert (await login(short, "ada@shop.test", PASSWORD))["userErrors"] == []


# --- rehash -----------------------------------------------------------------------------


async def test_login_rehashes_a_password_hashed_with_other_parameters(client, db):
    old_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(PASSWORD)
    assert APP_HASHER.check_needs_rehash(old_hash)
    now = datetime.now(UTC)
    inserted = await db.users.insert_one(
        {
            "email": "old@shop.test",
            "name": "Old Timer",
            "role": "CUSTOMER",
            "passwordHash": old_hash,
            "createdAt": now,
            "updatedAt": now,
        }
    )

    # A failed login does not rehash.
    assert codes(await login(client, "old@shop.test", "wrong password")) == ["INVALID_CREDENTIALS"]
    assert (await db.users.find_one({"_id": inserted.inserted_id}))["passwordHash"] == old_hash

    payload = await login(client, "old@shop.test", PASSWORD)

    assert payload["userErrors"] == []
    new_hash = (await db.users.find_one({"_id": inserted.inserted_id}))["passwordHash"]
    assert new_hash != old_hash
    assert new_hash.startswith("$argon2id$")
    assert APP_HASHER.check_needs_rehash(new_hash) is False
    assert APP_HASHER.verify(new_hash, PASSWORD)
    # The new hash keeps working, and is not replaced again.
    assert (await login(client, "old@shop.test", PASSWORD))["userErrors"] == []
    assert (await db.users.find_one({"_id": inserted.inserted_id}))["passwordHash"] == new_hash


async def test_login_keeps_a_hash_made_with_the_current_parameters(client, db, customer):
    before = (await db.users.find_one({"_id": customer.id}))["passwordHash"]

    assert (await login(client, customer.email, customer.password))["userErrors"] == []

    assert (await db.users.find_one({"_id": customer.id}))["passwordHash"] == before


# --- deleted users ----------------------------------------------------------------------


async def test_a_deleted_users_tokens_stop_working(client, db, customer):
    assert (await me(client, customer.access_token))["data"]["me"]["email"] == customer.email

    await db.users.delete_one({"_id": customer.id})

    body = await me(client, customer.access_token)
    assert_unauthenticated(body)
    assert (body["data"] or {}).get("me") is None
    assert "Traceback" not in json.dumps(body)
    assert_unauthenticated(
        await graphql(client, UPDATE_PROFILE, {"name": "Ghost"}, headers=customer.headers)
    )
    assert_refused_refresh(await refresh(client, customer.refresh_token))
    assert codes(await login(client, customer.email, customer.password)) == ["INVALID_CREDENTIALS"]


# --- WebSocket authentication -----------------------------------------------------------

WS_PROTOCOL = "graphql-transport-ws"


def ws_register(tc: TestClient, email: str) -> str:
    response = tc.post(
        "/graphql",
        json={
            "query": REGISTER,
            "variables": {"input": {"email": email, "password": PASSWORD, "name": "Ws"}},
        },
    )
    payload = response.json()["data"]["register"]
    assert payload["userErrors"] == [], payload
    return payload["accessToken"]


def ws_me(ws: Any) -> Any:
    ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": ME}})
    return ws.receive_json()


def test_websocket_with_a_valid_token_is_acknowledged_as_that_user(make_settings):
    with TestClient(create_app(make_settings())) as tc:
        token = ws_register(tc, "socket@shop.test")
        with tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws:
            ws.send_json(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            assert ws.receive_json() == {"type": "connection_ack"}

            message = ws_me(ws)
            assert message["type"] == "next", message
            assert message["payload"]["data"]["me"]["email"] == "socket@shop.test"


def test_websocket_without_a_token_is_acknowledged_as_anonymous(make_settings):
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}

        message = ws_me(ws)
        assert message["type"] == "next", message
        assert message["payload"] == {"data": {"me": None}}


def test_websocket_without_a_payload_is_acknowledged(make_settings):
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json() == {"type": "connection_ack"}


def token_expired_seconds_ago(seconds: int, user_id: ObjectId) -> str:
    """Signed with the app's secret, and still within the decoder's 30 s leeway."""
    now = datetime.now(UTC)
    return jwt.encode(
        {
            "sub": str(user_id),
            "role": "CUSTOMER",
            "sid": "s",
            "iat": now - timedelta(minutes=15),
            "exp": now - timedelta(seconds=seconds),
            "iss": "shopgraph",
            "aud": "shopgraph-api",
            "jti": "j",
            "typ": "access",
        },
        TEST_JWT_SECRET,
        algorithm="HS256",
    )


async def test_a_token_in_its_leeway_still_works_over_http(client, customer):
    """The leeway absorbs clock skew for one request; a socket would outlive it."""
    token = token_expired_seconds_ago(10, customer.id)
    body = await graphql(client, "{ me { email } }", headers=bearer(token))
    assert body == {"data": {"me": {"email": customer.email}}}


def test_a_websocket_refuses_a_token_that_has_expired_even_within_the_leeway(
    make_settings, customer
):
    token = token_expired_seconds_ago(10, customer.id)
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403


def test_legacy_websocket_refuses_a_second_connection_init(make_settings, customer):
    """A second `connection_init` could swap the socket's token; the protocol allows one."""
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws,
    ):
        authorization = {"authorization": f"Bearer {customer.access_token}"}
        ws.send_json({"type": "connection_init", "payload": authorization})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                assert ws.receive_json()["type"] == "ka"
        assert closed.value.code == 4429


def forged_token() -> str:
    return jwt.encode(
        {
            "sub": str(ObjectId()),
            "role": "ADMIN",
            "sid": "s",
            "iat": datetime.now(UTC),
            "exp": datetime.now(UTC) + timedelta(minutes=5),
            "iss": "shopgraph",
            "aud": "shopgraph-api",
            "jti": "j",
            "typ": "access",
        },
        "another-secret-that-is-also-long-enough-0123456789",
        algorithm="HS256",
    )


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"authorization": "Bearer not-a-token"}, id="garbage"),
        pytest.param({"authorization": f"Bearer {forged_token()}"}, id="forged"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="capitalised-key"),
        pytest.param({"authorization": "Basic dXNlcjpwYXNz"}, id="basic"),
        pytest.param({"authorization": "Bearer"}, id="bearer-without-token"),
        pytest.param({"authorization": 123}, id="not-a-string"),
    ],
)
def test_websocket_with_a_bad_token_is_closed_with_4403(make_settings, payload):
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
