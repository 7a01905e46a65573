"""Registering an account, and one account's way from register to logout."""

import asyncio
import json

import pytest

from shopgraph.auth.sessions import EMAIL_UNAVAILABLE
from tests.helpers import (
    PASSWORD,
    REQUEST_PASSWORD_RESET,
    RESET,
    RESET_PASSWORD,
    SIGNUP_ATTEMPT,
    VERIFICATION,
    VERIFY_EMAIL,
    account_mails,
    assert_no_tokens,
    assert_refused_refresh,
    claims_of,
    codes,
    login,
    logout,
    mailed_code,
    me,
    ok_payload,
    refresh,
    register,
)

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
async def test_registering_a_taken_email_does_not_say_so_and_tells_its_owner(client, db, again):
    assert (await register(client, "ada@shop.test"))["userErrors"] == []

    payload = await register(client, again, password="another password", name="Eve")

    assert payload["userErrors"] == [
        {
            "field": ["input", "email"],
            "message": EMAIL_UNAVAILABLE,
            "code": "INVALID",
        }
    ]
    assert_no_tokens(payload)
    assert await db.users.count_documents({}) == 1
    # The owner hears of it, by email.
    [notice] = await account_mails(db, "ada@shop.test", SIGNUP_ATTEMPT)
    assert notice["subject"] == "Someone tried to sign up with your email address"
    assert "requestPasswordReset" in notice["text"]
    assert "another password" not in notice["text"] and "Eve" not in notice["text"]
    # The first account is untouched.
    assert (await login(client, "ada@shop.test", PASSWORD))["userErrors"] == []
    assert codes(await login(client, "ada@shop.test", "another password")) == [
        "INVALID_CREDENTIALS"
    ]


async def test_concurrent_registrations_of_one_email_create_one_account(
    db, app_with, make_settings
):
    spellings = ["race@shop.test", "RACE@shop.test", " Race@Shop.Test "]
    # Room for all twenty to wait for a hashing slot, from one address: the race is on
    # the email.
    settings = make_settings(password_hashing_queue=20, password_checks_per_client=20)
    async with app_with(settings) as client:
        payloads = await asyncio.gather(
            *(
                register(client, spellings[n % 3], password=f"password number {n}")
                for n in range(20)
            )
        )

    winners = [payload for payload in payloads if payload["userErrors"] == []]
    losers = [payload for payload in payloads if payload["userErrors"] != []]
    assert len(winners) == 1
    assert winners[0]["accessToken"] and winners[0]["refreshToken"]
    assert len(losers) == 19
    assert all(codes(payload) == ["INVALID"] for payload in losers)
    assert all(payload["accessToken"] is None for payload in losers)
    assert await db.users.count_documents({}) == 1
    assert await db.users.count_documents({"email": "race@shop.test"}) == 1
    assert await db.refresh_tokens.count_documents({}) == 1
    # One confirmation email, and one notice however many attempts there were.
    mails = await account_mails(db, "race@shop.test")
    assert sorted(mail["kind"] for mail in mails) == sorted([SIGNUP_ATTEMPT, VERIFICATION])


# --- registration that waits for a verified email ----------------------------------------

NO_SESSION = {
    "accessToken": None,
    "refreshToken": None,
    "expiresIn": None,
    "user": None,
    "userErrors": [],
}


@pytest.fixture
async def strict(app_with, make_settings):
    """The app with SHOPGRAPH_REGISTRATION_REQUIRES_VERIFICATION=true."""
    async with app_with(make_settings(registration_requires_verification=True)) as http:
        yield http


async def test_with_verification_first_register_answers_alike_for_new_and_taken(strict, db):
    await register(strict, "taken@shop.test")
    owner = await db.users.find_one({"email": "taken@shop.test"})

    new = await register(strict, "new@shop.test", password="password of new")
    taken = await register(strict, "TAKEN@shop.test", password="password of taken")

    assert new == taken == NO_SESSION
    assert await db.refresh_tokens.count_documents({}) == 0
    assert await db.users.find_one({"email": "taken@shop.test"}) == owner
    created = await db.users.find_one({"email": "new@shop.test"})
    assert created is not None and "emailVerifiedAt" not in created
    assert [mail["kind"] for mail in await account_mails(db, "new@shop.test")] == [VERIFICATION]
    assert [mail["kind"] for mail in await account_mails(db, "taken@shop.test")] == [
        VERIFICATION,  # from its own registration
        SIGNUP_ATTEMPT,
    ]


async def test_with_verification_first_input_errors_are_still_reported(strict, db):
    payload = await register(strict, "not-an-email", password="short")

    assert codes(payload) == ["INVALID", "INVALID"]
    assert await db.users.count_documents({}) == 0


async def test_with_verification_first_login_waits_for_the_code(strict, db):
    assert await register(strict, "ada@shop.test") == NO_SESSION
    wrong = await login(strict, "ada@shop.test", "not the password")

    unverified = await login(strict, "ada@shop.test", PASSWORD)

    assert unverified == wrong
    assert codes(unverified) == ["INVALID_CREDENTIALS"]
    token = await mailed_code(db, "ada@shop.test", VERIFICATION)
    verified = await ok_payload(strict, VERIFY_EMAIL, {"token": token})
    assert verified["user"]["emailVerified"] is True
    assert (await login(strict, "ada@shop.test", PASSWORD))["userErrors"] == []


async def test_with_verification_first_a_reset_lets_the_owner_in(strict, db):
    """Someone registered the owner's address first: the owner takes it over by resetting."""
    await register(strict, "ada@shop.test", password="the squatter's password")
    await ok_payload(strict, REQUEST_PASSWORD_RESET, {"email": "ada@shop.test"})
    token = await mailed_code(db, "ada@shop.test", RESET)

    reset = await ok_payload(strict, RESET_PASSWORD, {"token": token, "newPassword": PASSWORD})

    assert reset == {"ok": True, "userErrors": []}
    assert (await login(strict, "ada@shop.test", PASSWORD))["userErrors"] == []
    assert codes(await login(strict, "ada@shop.test", "the squatter's password")) == [
        "INVALID_CREDENTIALS"
    ]
