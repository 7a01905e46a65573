"""Refresh tokens: rotation, reuse revoking the family, expiry, hashing, and logout."""

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import log_in
from tests.helpers import assert_refused_refresh, claims_of, logout, me, refresh, register

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
