"""changePassword: checks, throttled wrong guesses, and the end of other sessions."""

import asyncio
from typing import Any

import pytest

from tests.conftest import graphql, log_in
from tests.helpers import (
    APP_HASHER,
    PASSWORD,
    USER_ERRORS,
    USER_FIELDS,
    age_login_attempts,
    assert_refused_refresh,
    assert_unauthenticated,
    bearer,
    codes,
    login,
    refresh,
)

CHANGE_PASSWORD = f"""mutation Change($current: String!, $new: String!) {{
  changePassword(currentPassword: $current, newPassword: $new) {{ {USER_FIELDS} {USER_ERRORS} }}
}}"""


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
                "message": "Too many wrong passwords for this email; try again later.",
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


async def test_concurrent_wrong_current_passwords_cannot_exceed_the_limit(
    app_with, make_settings, customer
):
    """All twenty may run at once: the counts, not the cap on checks in flight, are tested."""
    async with app_with(make_settings(password_checks_per_client=20)) as http:
        payloads = await asyncio.gather(
            *(
                change_password(http, customer.access_token, f"guess {n}", "new password 1")
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
