"""Ending a session ends its access tokens: after logout, a password change or reset, or a
replayed refresh token, a request with a token of that session is UNAUTHENTICATED at
once, not when the token expires. Sessions also end 90 days (`session_max_days`) after
their login, however often they rotate."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shopgraph.clock import now_ms
from shopgraph.datasources.client import Datasources
from shopgraph.services import session_ends
from tests.conftest import account, graphql, log_in
from tests.helpers import (
    assert_refused_refresh,
    bearer,
    claims_of,
    login,
    logout,
    me,
    refresh,
)
from tests.test_change_password import change_password

SESSION_ENDED = "This session has ended; log in again."


def assert_session_ended(body: dict[str, Any]) -> None:
    """The whole request refused, as for any bad token: no data, one UNAUTHENTICATED."""
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED", body
    assert error["message"] == SESSION_ENDED, body


async def assert_works(client, access_token: str, email: str) -> None:
    body = await me(client, access_token)
    assert body == {"data": {"me": {**body["data"]["me"], "email": email}}}, body


async def user_document(db, account) -> dict[str, Any]:
    document = await db.users.find_one({"_id": account.id})
    assert document is not None
    return document


# --- logout ---------------------------------------------------------------------------


async def test_after_logout_the_sessions_access_token_is_refused(client, db, customer):
    other = await log_in(client, customer.email, customer.password)
    await assert_works(client, customer.access_token, customer.email)

    assert await logout(client, customer.refresh_token) == {"ok": True, "userErrors": []}

    assert_session_ended(await me(client, customer.access_token))
    # Every operation, not only `me`: the request fails before it runs.
    assert_session_ended(
        await graphql(client, "{ __typename }", headers=bearer(customer.access_token))
    )
    await assert_works(client, other["accessToken"], customer.email)
    sid = claims_of(customer.access_token)["sid"]
    assert sid in (await user_document(db, customer))["endedSessions"]


async def test_after_logout_every_access_token_of_the_session_is_refused(client, customer):
    rotated = await refresh(client, customer.refresh_token)

    await logout(client, rotated["refreshToken"])

    assert_session_ended(await me(client, customer.access_token))
    assert_session_ended(await me(client, rotated["accessToken"]))


async def test_a_mutation_with_an_ended_sessions_token_changes_nothing(client, db, customer):
    await logout(client, customer.refresh_token)

    body = await graphql(
        client,
        'mutation { updateProfile(input: {name: "Mallory"}) { user { name } } }',
        headers=bearer(customer.access_token),
    )

    assert_session_ended(body)
    assert (await user_document(db, customer))["name"] == "Test"


async def test_a_fresh_login_after_logout_works(client, customer):
    await logout(client, customer.refresh_token)

    fresh = await login(client, customer.email, customer.password)

    await assert_works(client, fresh["accessToken"], customer.email)
    assert (await refresh(client, fresh["refreshToken"]))["userErrors"] == []


async def test_concurrent_logouts_of_one_users_sessions_all_take_effect(client, db, customer):
    """Each end is its own atomic update of the user document: none overwrites another."""
    # One after another: concurrent logins of one email are throttled as guesses.
    sessions = [await log_in(client, customer.email, customer.password) for _ in range(12)]
    keep, ending = sessions[0], sessions[1:]

    results = await asyncio.gather(*(logout(client, s["refreshToken"]) for s in ending))

    assert all(result["ok"] for result in results)
    bodies = await asyncio.gather(*(me(client, s["accessToken"]) for s in ending))
    for body in bodies:
        assert_session_ended(body)
    await assert_works(client, keep["accessToken"], customer.email)
    ended = (await user_document(db, customer))["endedSessions"]
    assert set(ended) == {claims_of(s["accessToken"])["sid"] for s in ending}


async def test_ended_sessions_are_forgotten_once_their_access_tokens_have_expired(
    client, db, customer
):
    """The list stays as short as the sessions ended within one access-token lifetime."""
    # As a session ended 16 minutes ago left it.
    await db.users.update_one(
        {"_id": customer.id}, {"$set": {"endedSessions.long-ago": now_ms() - 60_000}}
    )

    await logout(client, customer.refresh_token)

    ended = (await user_document(db, customer))["endedSessions"]
    sid = claims_of(customer.access_token)["sid"]
    assert list(ended) == [sid]
    # Kept for as long as a token of the session could be accepted: 15 min + 30 s leeway.
    lifetime_ms = (15 * 60 + 30) * 1000
    assert now_ms() + lifetime_ms - 5_000 < ended[sid] <= now_ms() + lifetime_ms


# --- password changes and resets ------------------------------------------------------


async def test_after_change_password_other_sessions_tokens_fail_and_the_callers_works(
    client, db, customer, other_customer
):
    second = await log_in(client, customer.email, customer.password)
    current = await refresh(client, customer.refresh_token)  # the caller's session rotated

    payload = await change_password(
        client, current["accessToken"], customer.password, "brand new password"
    )

    assert payload["userErrors"] == []
    assert_session_ended(await me(client, second["accessToken"]))
    # The caller's session goes on: its tokens from before the change, and after it.
    await assert_works(client, current["accessToken"], customer.email)
    await assert_works(client, customer.access_token, customer.email)
    kept = await refresh(client, current["refreshToken"])
    assert kept["userErrors"] == []
    await assert_works(client, kept["accessToken"], customer.email)
    # Another user is not touched; a login with the new password is a new session.
    await assert_works(client, other_customer.access_token, other_customer.email)
    fresh = await login(client, customer.email, "brand new password")
    await assert_works(client, fresh["accessToken"], customer.email)
    document = await user_document(db, customer)
    assert document["sessionKept"] == claims_of(current["accessToken"])["sid"]


async def test_a_second_password_change_from_a_new_session_ends_the_first_callers_session(
    client, customer
):
    await change_password(client, customer.access_token, customer.password, "second password")
    newer = await login(client, customer.email, "second password")

    await change_password(client, newer["accessToken"], "second password", "third password")

    assert_session_ended(await me(client, customer.access_token))
    await assert_works(client, newer["accessToken"], customer.email)


async def test_ending_every_session_as_a_password_reset_does(client, db, make_settings, customer):
    """`SessionEnds.end_all(user_id)`: what a password reset and a promotion call."""
    second = await log_in(client, customer.email, customer.password)
    ends = session_ends(make_settings(), Datasources.for_database(db))

    await ends.end_all(customer.id)

    for session in (customer.access_token, second["accessToken"]):
        assert_session_ended(await me(client, session))
    assert_refused_refresh(await refresh(client, customer.refresh_token))
    assert_refused_refresh(await refresh(client, second["refreshToken"]))
    fresh = await login(client, customer.email, customer.password)
    await assert_works(client, fresh["accessToken"], customer.email)
    assert (await refresh(client, fresh["refreshToken"]))["userErrors"] == []


async def test_an_older_cut_off_never_replaces_a_newer_one(client, db, customer):
    """A slow write of an earlier end must not bring back sessions a later one ended."""
    users = Datasources.for_database(db).users
    later = now_ms()
    await users.end_sessions_before(customer.id, later, kept=None)

    await users.end_sessions_before(customer.id, later - 60_000, kept="whichever")

    document = await user_document(db, customer)
    assert document["sessionsEndedBeforeMs"] == later
    assert "sessionKept" not in document
    assert_session_ended(await me(client, customer.access_token))


async def test_a_refresh_is_refused_when_the_user_document_says_the_session_ended(
    client, db, customer
):
    """The user document decides even if the refresh tokens were never revoked (a process
    that died between the two writes)."""
    users = Datasources.for_database(db).users
    await users.end_sessions_before(customer.id, now_ms(), kept=None)
    assert await db.refresh_tokens.count_documents({"revokedAt": {"$ne": None}}) == 0

    assert_refused_refresh(await refresh(client, customer.refresh_token))

    assert await db.refresh_tokens.count_documents({"revokedAt": None}) == 0


# --- refresh token reuse --------------------------------------------------------------


async def test_after_refresh_token_reuse_the_familys_access_tokens_fail(client, customer):
    other = await log_in(client, customer.email, customer.password)
    rotated = await refresh(client, customer.refresh_token)
    newest = await refresh(client, rotated["refreshToken"])
    await assert_works(client, newest["accessToken"], customer.email)

    # The first token shows up again: it leaked, and the thief's tokens must die too.
    assert_refused_refresh(await refresh(client, customer.refresh_token))

    for token in (customer.access_token, rotated["accessToken"], newest["accessToken"]):
        assert_session_ended(await me(client, token))
    await assert_works(client, other["accessToken"], customer.email)


async def test_concurrent_refreshes_with_one_token_leave_no_working_access_token(client, customer):
    """Whichever refresh won the race issued a token of a session that then ended."""
    payloads = await asyncio.gather(*(refresh(client, customer.refresh_token) for _ in range(6)))

    issued = [p["accessToken"] for p in payloads if p["userErrors"] == []]
    for token in [customer.access_token, *issued]:
        assert_session_ended(await me(client, token))


# --- the absolute lifetime ------------------------------------------------------------


async def age_session(db, access_token: str, days: float) -> None:
    """Moves the start of the token's session `days` into the past, in every record."""
    family = claims_of(access_token)["sid"]
    started = now_ms() - int(timedelta(days=days).total_seconds() * 1000)
    result = await db.refresh_tokens.update_many(
        {"familyId": family}, {"$set": {"sessionStartedMs": started}}
    )
    assert result.matched_count >= 1


async def test_rotation_carries_the_session_start_over(client, db, customer):
    first = await refresh(client, customer.refresh_token)
    second = await refresh(client, first["refreshToken"])

    starts = {
        claims_of(token)["auth_time"]
        for token in (customer.access_token, first["accessToken"], second["accessToken"])
    }
    assert len(starts) == 1
    records = await db.refresh_tokens.find({}).to_list()
    assert len(records) == 3
    assert {record["sessionStartedMs"] for record in records} == {round(starts.pop() * 1000)}


async def test_a_session_past_its_absolute_lifetime_cannot_be_refreshed(client, db, customer):
    rotated = await refresh(client, customer.refresh_token)
    await age_session(db, customer.access_token, days=90.01)

    assert_refused_refresh(await refresh(client, rotated["refreshToken"]))

    family = claims_of(customer.access_token)["sid"]
    assert await db.refresh_tokens.count_documents({"familyId": family, "revokedAt": None}) == 0
    fresh = await login(client, customer.email, customer.password)
    assert (await refresh(client, fresh["refreshToken"]))["userErrors"] == []


async def test_a_session_within_its_lifetime_rotates_and_expires_with_it(client, db, customer):
    await age_session(db, customer.access_token, days=89.5)

    rotated = await refresh(client, customer.refresh_token)

    assert rotated["userErrors"] == []
    await assert_works(client, rotated["accessToken"], customer.email)
    record = await db.refresh_tokens.find_one({"usedAt": None})
    session_end = datetime.fromtimestamp(record["sessionStartedMs"] / 1000, UTC) + timedelta(
        days=90
    )
    # Not 30 days from now: the refresh token lapses with its session, in half a day.
    assert abs(record["expiresAt"] - session_end) < timedelta(seconds=1)


@pytest.mark.parametrize("days", [1, 7])
async def test_session_max_days_is_a_setting(app_with, make_settings, db, days):
    async with app_with(make_settings(session_max_days=days)) as http:
        owner = await account(db, http, f"max-{days}@shop.test", "CUSTOMER")
        await age_session(db, owner.access_token, days=days - 0.01)
        within = await refresh(http, owner.refresh_token)
        assert within["userErrors"] == []
        await age_session(db, owner.access_token, days=days + 0.01)
        assert_refused_refresh(await refresh(http, within["refreshToken"]))
