"""The password throttle per client address and per email: an attacker neither locks the
owner out nor sprays passwords across accounts; the counts hold across processes.

Clients are told apart as in production behind a reverse proxy (the test transport's
peer, 127.0.0.1, is trusted and `X-Forwarded-For` names the client), or by the peer
address itself, on separate app instances sharing the database.
"""

import asyncio
from typing import Any

import pytest

from tests.conftest import LOGIN, create_user, graphql
from tests.helpers import (
    PASSWORD,
    REGISTER,
    age_login_attempts,
    assert_no_tokens,
    codes,
    login,
)
from tests.test_change_password import CHANGE_PASSWORD

OWNER = "203.0.113.10"
ATTACKER = "198.51.100.66"
CLIENT_LOCKED_OUT = "Too many failed password checks from your address; try again later."
EMAIL_LOCKED_OUT = "Too many wrong passwords for this email; try again later."


@pytest.fixture
async def behind_proxy(app_with, make_settings):
    """An app behind a trusted proxy: each request names its client in X-Forwarded-For.
    Three failures per email and client, six per client, 3 x 6 = 18 per email. Bursts
    from one address test the counts in MongoDB, not the cap on checks running at once
    (tests/test_password_hashing_queue.py)."""
    settings = make_settings(
        trusted_proxies=["127.0.0.1"],
        login_max_failures=3,
        login_client_max_failures=6,
        password_checks_per_client=30,
    )
    async with app_with(settings) as http:
        yield http


async def login_from(http, address: str, email: str, password: str) -> dict[str, Any]:
    body = await graphql(
        http, LOGIN, {"email": email, "password": password}, headers={"X-Forwarded-For": address}
    )
    assert "errors" not in body, body
    return body["data"]["login"]


async def attempts_by_client(db) -> dict[str, int]:
    counts: dict[str, int] = {}
    async for attempt in db.login_attempts.find({}):
        counts[attempt["client"]] = counts.get(attempt["client"], 0) + 1
    return counts


# --- the owner keeps their account ------------------------------------------------------


async def test_an_attacker_does_not_lock_the_owner_out(behind_proxy, db):
    await create_user(db, "owner@shop.test", PASSWORD)
    answers = [
        codes(await login_from(behind_proxy, ATTACKER, "owner@shop.test", f"guess {n}"))
        for n in range(6)
    ]
    assert answers == [["INVALID_CREDENTIALS"]] * 3 + [["TOO_MANY_ATTEMPTS"]] * 3

    # The attacker is locked out of the account, even with the right password...
    refused = await login_from(behind_proxy, ATTACKER, "owner@shop.test", PASSWORD)
    assert refused["userErrors"] == [
        {"field": None, "message": EMAIL_LOCKED_OUT, "code": "TOO_MANY_ATTEMPTS"}
    ]
    assert_no_tokens(refused)
    # ...while the owner logs in, and may even mistype first.
    assert codes(await login_from(behind_proxy, OWNER, "owner@shop.test", "typo")) == [
        "INVALID_CREDENTIALS"
    ]
    allowed = await login_from(behind_proxy, OWNER, "owner@shop.test", PASSWORD)
    assert allowed["userErrors"] == []
    assert allowed["accessToken"]
    # The owner's success cleared the owner's failure, not the attacker's.
    assert await attempts_by_client(db) == {ATTACKER: 3}


async def test_the_owner_changes_their_password_while_a_thief_is_locked_out(behind_proxy, db):
    """A stolen access token used from elsewhere gets its three guesses; the owner's own
    changePassword is not refused because of them."""
    await create_user(db, "owner@shop.test", PASSWORD)
    tokens = await login_from(behind_proxy, OWNER, "owner@shop.test", PASSWORD)

    async def change_from(address: str, current: str) -> list[str]:
        body = await graphql(
            behind_proxy,
            CHANGE_PASSWORD,
            {"current": current, "new": "a brand new password"},
            headers={
                "Authorization": f"Bearer {tokens['accessToken']}",
                "X-Forwarded-For": address,
            },
        )
        return codes(body["data"]["changePassword"])

    assert [await change_from(ATTACKER, f"guess {n}") for n in range(4)] == [
        ["INVALID_CREDENTIALS"]
    ] * 3 + [["TOO_MANY_ATTEMPTS"]]
    before = await db.users.find_one({"email": "owner@shop.test"})
    assert before is not None
    assert await change_from(OWNER, PASSWORD) == []
    after = await db.users.find_one({"_id": before["_id"]})
    assert after["passwordHash"] != before["passwordHash"]
    assert (await login_from(behind_proxy, OWNER, "owner@shop.test", "a brand new password"))[
        "userErrors"
    ] == []


async def test_the_owner_is_not_locked_out_from_another_process(db, app_with, make_settings):
    """Two server processes, each reached by its own peer, share the counts in MongoDB."""
    await create_user(db, "owner@shop.test", PASSWORD)
    settings = make_settings(login_max_failures=3)
    async with (
        app_with(settings, peer=ATTACKER) as attacker_side,
        app_with(settings, peer=OWNER) as owner_side,
        app_with(settings, peer=ATTACKER) as attacker_elsewhere,
    ):
        for _ in range(3):
            assert codes(await login(attacker_side, "owner@shop.test", "guess")) == [
                "INVALID_CREDENTIALS"
            ]
        # The attacker's count follows them to the other process...
        assert codes(await login(attacker_elsewhere, "owner@shop.test", PASSWORD)) == [
            "TOO_MANY_ATTEMPTS"
        ]
        # ...and the owner is let in by either.
        assert (await login(owner_side, "owner@shop.test", PASSWORD))["userErrors"] == []
    assert await attempts_by_client(db) == {ATTACKER: 3}


# --- spraying across emails -------------------------------------------------------------


async def test_a_client_spraying_passwords_across_emails_is_stopped(behind_proxy, db):
    await create_user(db, "victim@shop.test", PASSWORD)
    for n in range(6):  # one guess at each of six emails: the client's whole allowance
        assert codes(
            await login_from(behind_proxy, ATTACKER, f"user{n}@shop.test", "Summer2024!")
        ) == ["INVALID_CREDENTIALS"]

    for email, password in (("user6@shop.test", "Summer2024!"), ("victim@shop.test", PASSWORD)):
        refused = await login_from(behind_proxy, ATTACKER, email, password)
        assert refused["userErrors"] == [
            {"field": None, "message": CLIENT_LOCKED_OUT, "code": "TOO_MANY_ATTEMPTS"}
        ]
        assert_no_tokens(refused)
    # Registering (a password hash) is refused to the client too, before anything is stored.
    body = await graphql(
        behind_proxy,
        REGISTER,
        {"input": {"email": "fresh@shop.test", "password": PASSWORD, "name": "Fresh"}},
        headers={"X-Forwarded-For": ATTACKER},
    )
    assert codes(body["data"]["register"]) == ["TOO_MANY_ATTEMPTS"]
    assert await db.users.count_documents({"email": "fresh@shop.test"}) == 0
    # Refusals are not counted: the lock-out is not extended by knocking.
    assert await attempts_by_client(db) == {ATTACKER: 6}
    # Everyone else goes on.
    assert (await login_from(behind_proxy, OWNER, "victim@shop.test", PASSWORD))["userErrors"] == []

    await age_login_attempts(db, 14 * 60)  # the window (15 minutes) has not passed yet...
    assert codes(await login_from(behind_proxy, ATTACKER, "user7@shop.test", "x" * 8)) == [
        "TOO_MANY_ATTEMPTS"
    ]
    await age_login_attempts(db, 2 * 60)  # ...now it has
    assert codes(await login_from(behind_proxy, ATTACKER, "user7@shop.test", "x" * 8)) == [
        "INVALID_CREDENTIALS"
    ]


async def test_a_burst_of_sprayed_guesses_cannot_exceed_the_client_limit(behind_proxy, db):
    """Sent at once, the guesses still count each other before any password is checked."""
    payloads = await asyncio.gather(
        *(login_from(behind_proxy, ATTACKER, f"user{n}@shop.test", "guess") for n in range(30))
    )

    checked = [p for p in payloads if codes(p) == ["INVALID_CREDENTIALS"]]
    refused = [p for p in payloads if codes(p) == ["TOO_MANY_ATTEMPTS"]]
    assert len(checked) + len(refused) == 30
    assert 1 <= len(checked) <= 6, f"{len(checked)} of 30 concurrent guesses were checked"
    assert await attempts_by_client(db) == {ATTACKER: len(checked)}


async def test_an_untrusted_forwarded_for_cannot_reset_the_count(client, db):
    """Without trusted proxies the header is the client's own writing and counts nothing."""
    for n in range(20):
        header = {"X-Forwarded-For": f"192.0.2.{n}"}
        body = await graphql(
            client, LOGIN, {"email": f"user{n}@shop.test", "password": "guess"}, headers=header
        )
        assert codes(body["data"]["login"]) == ["INVALID_CREDENTIALS"]

    body = await graphql(
        client,
        LOGIN,
        {"email": "user20@shop.test", "password": "guess"},
        headers={"X-Forwarded-For": "192.0.2.99"},
    )
    assert codes(body["data"]["login"]) == ["TOO_MANY_ATTEMPTS"]
    assert await attempts_by_client(db) == {"127.0.0.1": 20}


async def test_a_prefix_written_before_the_trusted_proxy_is_ignored(behind_proxy, db):
    """The proxy appends the address it saw; what the client wrote before it is not read."""
    for n in range(7):
        body = await graphql(
            behind_proxy,
            LOGIN,
            {"email": f"user{n}@shop.test", "password": "guess"},
            headers={"X-Forwarded-For": f"192.0.2.{n}, {ATTACKER}"},
        )
        expected = "INVALID_CREDENTIALS" if n < 6 else "TOO_MANY_ATTEMPTS"
        assert codes(body["data"]["login"]) == [expected]
    assert await attempts_by_client(db) == {ATTACKER: 6}


# --- a distributed attack on one email --------------------------------------------------


async def test_clients_that_failed_are_refused_once_the_email_is_under_wide_attack(
    behind_proxy, db
):
    """Six addresses with three guesses each reach the email's total (18); after that a
    client that has failed against it is refused, a client that has not is still let in."""
    await create_user(db, "owner@shop.test", PASSWORD)
    for bot in range(6):
        for _ in range(3):
            answer = await login_from(behind_proxy, f"192.0.2.{bot}", "owner@shop.test", "guess")
            assert codes(answer) == ["INVALID_CREDENTIALS"]

    # A new address gets its first guess, and no second.
    assert codes(await login_from(behind_proxy, "192.0.2.50", "owner@shop.test", "guess")) == [
        "INVALID_CREDENTIALS"
    ]
    refused = await login_from(behind_proxy, "192.0.2.50", "owner@shop.test", PASSWORD)
    assert refused["userErrors"] == [
        {"field": None, "message": EMAIL_LOCKED_OUT, "code": "TOO_MANY_ATTEMPTS"}
    ]
    # The owner has not failed against it: in.
    assert (await login_from(behind_proxy, OWNER, "owner@shop.test", PASSWORD))["userErrors"] == []
    assert await db.login_attempts.count_documents({"email": "owner@shop.test"}) == 19


# --- sign-ups -------------------------------------------------------------------------


async def register_from(http, address: str, email: str) -> dict[str, Any]:
    body = await graphql(
        http,
        REGISTER,
        {"input": {"email": email, "password": PASSWORD, "name": "Sign-up"}},
        headers={"X-Forwarded-For": address},
    )
    assert "errors" not in body, body
    return body["data"]["register"]


async def test_a_sign_up_counts_for_its_address_whether_its_email_was_new_or_taken(
    app_with, make_settings, db
):
    """Where register answers new and taken emails alike, the throttle must not tell them
    apart either: a client near its limit would learn from the next refusal which it was."""
    settings = make_settings(
        trusted_proxies=["127.0.0.1"],
        login_client_max_failures=3,
        registration_requires_verification=True,
    )
    await create_user(db, "taken@shop.test", PASSWORD)
    new_emails, taken_email = "192.0.2.31", "192.0.2.32"
    async with app_with(settings) as http:
        new = [await register_from(http, new_emails, f"new{n}@shop.test") for n in range(4)]
        taken = [await register_from(http, taken_email, "taken@shop.test") for _ in range(4)]

    assert [codes(payload) for payload in new] == [[]] * 3 + [["TOO_MANY_ATTEMPTS"]]
    assert [codes(payload) for payload in taken] == [[]] * 3 + [["TOO_MANY_ATTEMPTS"]]
    assert await db.users.count_documents({"email": "new3@shop.test"}) == 0
    assert await attempts_by_client(db) == {new_emails: 3, taken_email: 3}


async def test_logging_in_to_the_new_account_does_not_forgive_its_sign_up(behind_proxy, db):
    """Sign-ups per address stay bounded: the account's right password clears failed
    logins, not the sign-up that made it."""
    registered = await register_from(behind_proxy, ATTACKER, "fresh@shop.test")
    assert registered["accessToken"]

    assert (await login_from(behind_proxy, ATTACKER, "fresh@shop.test", PASSWORD))[
        "userErrors"
    ] == []

    assert await attempts_by_client(db) == {ATTACKER: 1}
