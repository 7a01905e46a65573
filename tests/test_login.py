"""Logging in: one answer for bad credentials, throttling, rehashing, deleted users."""

import asyncio
import json
from datetime import UTC, datetime

from argon2 import PasswordHasher

from tests.conftest import create_user, graphql
from tests.helpers import (
    APP_HASHER,
    PASSWORD,
    UPDATE_PROFILE,
    age_login_attempts,
    assert_no_tokens,
    assert_refused_refresh,
    assert_unauthenticated,
    codes,
    login,
    me,
    refresh,
)

INVALID_CREDENTIALS_MESSAGE = "Wrong email or password."


# --- login: answers and throttling ------------------------------------------------------


async def test_unknown_email_and_wrong_password_get_the_same_answer(client, customer):
    unknown = await login(client, "nobody@shop.test", customer.password)
    wrong = await login(client, customer.email, "wrong password")

    assert unknown == wrong
    assert wrong["userErrors"] == [
        {"field": None, "message": INVALID_CREDENTIALS_MESSAGE, "code": "INVALID_CREDENTIALS"}
    ]
    assert_no_tokens(wrong)


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
                "message": "Too many wrong passwords for this email; try again later.",
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


async def test_concurrent_failures_cannot_exceed_the_limit(app_with, make_settings, customer):
    """A burst of guesses sent at once must not all be checked before any is counted (all
    twenty may run at once: the counts, not the cap on checks in flight, are tested)."""
    async with app_with(make_settings(password_checks_per_client=20)) as http:
        payloads = await asyncio.gather(
            *(login(http, customer.email, f"guess number {n}") for n in range(20))
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
