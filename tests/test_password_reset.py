"""Password reset by email: requestPasswordReset → the emailed code → resetPassword.

The request answers `ok: true` whatever the address; a known one gets a one-time code
(stored hashed, valid `password_reset_minutes`), at most one email a minute and five an
hour per address. The reset sets the password and ends every session of the account.
"""

import asyncio
import email
import email.policy
import hashlib
import time
from datetime import timedelta
from pathlib import Path

import pytest
from argon2.exceptions import VerificationError
from pymongo import MongoClient

from shopgraph.server.app import create_app
from tests.conftest import create_user, without_cost
from tests.helpers import (
    APP_HASHER,
    REQUEST_PASSWORD_RESET,
    RESET,
    RESET_PASSWORD,
    TRANSPORT_WS,
    TestClient,
    account_mails,
    code_in,
    codes,
    let_mail_quota_pass,
    login,
    mailed_code,
    ok_payload,
    poll,
    refresh,
)

NEW_PASSWORD = "a brand new passphrase"
INVALID_CODE = {
    "field": ["token"],
    "message": "This reset code does not work: it was used, it expired, or a newer one was "
    "sent. Ask for a new one.",
    "code": "INVALID_TOKEN",
}


async def ask_reset(client, address: str) -> dict:
    return await ok_payload(client, REQUEST_PASSWORD_RESET, {"email": address})


async def reset(client, token: str, new_password: str = NEW_PASSWORD) -> dict:
    return await ok_payload(client, RESET_PASSWORD, {"token": token, "newPassword": new_password})


async def reset_code_for(client, db, address: str) -> str:
    assert await ask_reset(client, address) == {"ok": True, "userErrors": []}
    return await mailed_code(db, address, RESET)


def matches(password_hash: str, password: str) -> bool:
    try:
        return APP_HASHER.verify(password_hash, password)
    except VerificationError:
        return False


def read_eml(directory: Path, to: str) -> email.message.EmailMessage:
    [path] = [path for path in directory.glob("password-reset-*.eml")]
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == to
    return message


# --- the whole way, as a tester of `make run` goes it ------------------------------------


async def test_a_forgotten_password_is_reset_with_the_emailed_code(
    db, customer, app_with, make_settings, tmp_path
):
    settings = make_settings(background_tasks=True, mail_poll_seconds=0.05, data_dir=tmp_path)
    async with app_with(settings) as http:
        assert await ask_reset(http, "  Customer@SHOP.test ") == {"ok": True, "userErrors": []}
        # The mailer writes it to SHOPGRAPH_DATA_DIR/outbox, where a tester reads it.
        outbox = tmp_path / "outbox"
        assert await poll(lambda: list(outbox.glob("password-reset-*.eml"))), "no email"
        message = read_eml(outbox, customer.email)
        assert message["Subject"] == "Reset your Shopgraph password"
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "60 minutes" in text and "resetPassword" in text
        token = code_in(text)

        stored = await db.account_tokens.find_one({})
        assert stored["tokenHash"] == hashlib.sha256(token.encode()).hexdigest()
        lifetime = stored["expiresAt"] - stored["createdAt"]
        assert abs(lifetime - timedelta(minutes=60)) < timedelta(seconds=1)
        assert token not in str(stored)
        # Sent: the outbox keeps no copy of the code.
        assert await poll(lambda: db.outbox.count_documents({"kind": RESET, "status": "SENT"}))
        assert token not in str(await db.outbox.find_one({"kind": RESET}))

        assert await reset(http, token) == {"ok": True, "userErrors": []}

        assert (await login(http, customer.email, NEW_PASSWORD))["userErrors"] == []
        assert codes(await login(http, customer.email, customer.password)) == [
            "INVALID_CREDENTIALS"
        ]
        assert codes(await refresh(http, customer.refresh_token)) == ["INVALID_TOKEN"]
        assert await db.account_tokens.count_documents({}) == 0
        # The code reached the mailbox, so the address is proven.
        assert (await db.users.find_one({"_id": customer.id})).get("emailVerifiedAt")


async def test_an_unknown_email_gets_the_same_answer_and_no_email(client, db, customer):
    for address in ["nobody@shop.test", "not an address", "x" * 10_000, customer.email]:
        assert await ask_reset(client, address) == {"ok": True, "userErrors": []}

    assert [mail["to"] for mail in await account_mails(db, customer.email)] == [customer.email]
    assert await db.outbox.count_documents({}) == 1
    assert await db.account_tokens.count_documents({}) == 1
    assert await db.users.count_documents({}) == 1


# --- the code ----------------------------------------------------------------------------


async def test_a_reset_code_works_once(client, db, customer):
    token = await reset_code_for(client, db, customer.email)

    assert await reset(client, token) == {"ok": True, "userErrors": []}
    assert await reset(client, token, "yet another passphrase") == {
        "ok": False,
        "userErrors": [INVALID_CODE],
    }
    assert (await login(client, customer.email, NEW_PASSWORD))["userErrors"] == []


async def test_of_concurrent_resets_with_one_code_exactly_one_succeeds(client, db, customer):
    token = await reset_code_for(client, db, customer.email)
    # As many as the hashing queue admits at once (running + waiting), so none is refused busy.
    passwords = [f"concurrent passphrase {n}" for n in range(8)]

    payloads = await asyncio.gather(*(reset(client, token, password) for password in passwords))

    outcomes = zip(passwords, payloads, strict=True)
    winners = [password for password, payload in outcomes if payload["ok"]]
    assert len(winners) == 1, payloads
    assert all(
        payload == {"ok": False, "userErrors": [INVALID_CODE]}
        for payload in payloads
        if not payload["ok"]
    )
    stored_hash = (await db.users.find_one({"_id": customer.id}))["passwordHash"]
    assert [password for password in passwords if matches(stored_hash, password)] == winners
    assert (await login(client, customer.email, winners[0]))["userErrors"] == []
    assert await db.account_tokens.count_documents({}) == 0


async def test_an_expired_code_is_refused(client, db, customer):
    token = await reset_code_for(client, db, customer.email)
    stored = await db.account_tokens.find_one({})
    # Whole document replaced: the embedded server compares only inserted dates as dates.
    expired = {**stored, "expiresAt": stored["createdAt"] - timedelta(seconds=1)}
    await db.account_tokens.replace_one({"_id": stored["_id"]}, expired)

    assert await reset(client, token) == {"ok": False, "userErrors": [INVALID_CODE]}
    assert (await login(client, customer.email, customer.password))["userErrors"] == []


@pytest.mark.parametrize("token", ["", "not-a-code", "x" * 5000, "é" * 43])
async def test_a_made_up_code_is_refused(client, db, customer, token):
    await reset_code_for(client, db, customer.email)

    assert await reset(client, token) == {"ok": False, "userErrors": [INVALID_CODE]}
    assert await db.account_tokens.count_documents({}) == 1


async def test_a_newer_code_replaces_the_older_one(client, db, customer):
    older = await reset_code_for(client, db, customer.email)
    await let_mail_quota_pass(db)
    newer = await reset_code_for(client, db, customer.email)

    assert newer != older
    assert await reset(client, older) == {"ok": False, "userErrors": [INVALID_CODE]}
    assert await reset(client, newer) == {"ok": True, "userErrors": []}


async def test_a_code_is_no_good_once_the_account_has_another_email(client, db, customer):
    token = await reset_code_for(client, db, customer.email)
    await db.users.update_one({"_id": customer.id}, {"$set": {"email": "moved@shop.test"}})

    assert await reset(client, token) == {"ok": False, "userErrors": [INVALID_CODE]}


# --- the new password and the sessions ---------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "The password must be 8 to 256 characters long."),
        ("p" * 257, "The password must be 8 to 256 characters long."),
        ("CUSTOMER@shop.test", "The password must not be your email."),
    ],
)
async def test_a_weak_new_password_is_a_user_error_and_keeps_the_code(
    client, db, customer, password, message
):
    token = await reset_code_for(client, db, customer.email)

    assert await reset(client, token, password) == {
        "ok": False,
        "userErrors": [{"field": ["newPassword"], "message": message, "code": "INVALID"}],
    }
    assert (await login(client, customer.email, customer.password))["userErrors"] == []
    assert await reset(client, token) == {"ok": True, "userErrors": []}


async def test_a_reset_ends_every_session_of_the_account(client, db, customer, other_customer):
    second_device = await login(client, customer.email, customer.password)
    token = await reset_code_for(client, db, customer.email)

    assert await reset(client, token) == {"ok": True, "userErrors": []}

    for refresh_token in (customer.refresh_token, second_device["refreshToken"]):
        assert codes(await refresh(client, refresh_token)) == ["INVALID_TOKEN"]
    # Another account's session is not touched.
    assert (await refresh(client, other_customer.refresh_token))["userErrors"] == []


async def test_a_reset_lifts_the_login_lockout(client, db, customer):
    for _ in range(6):
        await login(client, customer.email, "a wrong guess")
    assert codes(await login(client, customer.email, customer.password)) == ["TOO_MANY_ATTEMPTS"]

    token = await reset_code_for(client, db, customer.email)
    assert await reset(client, token) == {"ok": True, "userErrors": []}

    assert (await login(client, customer.email, NEW_PASSWORD))["userErrors"] == []


# --- no flooding a mailbox ---------------------------------------------------------------


async def test_requests_from_many_clients_send_one_email_a_minute(
    client, db, customer, app_with, make_settings
):
    async with app_with(make_settings()) as second_process:
        payloads = await asyncio.gather(
            *(ask_reset(http, customer.email) for http in [client, second_process] * 15)
        )

    assert all(payload == {"ok": True, "userErrors": []} for payload in payloads)
    assert len(await account_mails(db, customer.email, RESET)) == 1
    assert await db.account_tokens.count_documents({}) == 1


async def expire_spacing(db) -> None:
    """As if a minute had passed since the last email (but not the hour)."""
    await db.mail_quota.update_many({}, {"$inc": {"nextMs": -60_001}})


async def test_at_most_five_emails_an_hour_reach_one_address(client, db, customer):
    for _ in range(8):
        await ask_reset(client, customer.email)
        await expire_spacing(db)

    assert len(await account_mails(db, customer.email, RESET)) == 5
    # An hour after the first, the count starts again.
    await db.mail_quota.update_many({}, {"$inc": {"windowStartMs": -3_600_001}})
    await ask_reset(client, customer.email)
    assert len(await account_mails(db, customer.email, RESET)) == 6


async def test_one_client_address_asks_for_at_most_ten_resets_an_hour(db, app_with, make_settings):
    """Asking for every address it knows, one client reaches ten: the rest get the same
    answer, no email and no quota document, and cannot replace an owner's live code.
    Another client is served meanwhile."""
    addresses = [f"user{n}@shop.test" for n in range(12)]
    for address in addresses:
        await create_user(db, address, "password of a user")
    settings = make_settings()
    async with (
        app_with(settings, peer="198.51.100.9") as attacker,
        app_with(settings, peer="203.0.113.9") as owner,
    ):
        answers = [await ask_reset(attacker, address) for address in addresses]
        stored_quotas = await db.mail_quota.count_documents({})
        await expire_spacing(db)
        again = await ask_reset(attacker, addresses[0])
        owners_code = await mailed_code(db, addresses[0], RESET)
        assert await ask_reset(owner, addresses[11]) == {"ok": True, "userErrors": []}

        assert answers == [{"ok": True, "userErrors": []}] * 12
        assert again == {"ok": True, "userErrors": []}
        mailed = [address for address in addresses if await account_mails(db, address, RESET)]
        assert mailed == [*addresses[:10], addresses[11]]  # the last one by the other client
        assert len(await account_mails(db, addresses[0], RESET)) == 1
        assert stored_quotas == 11  # ten addresses and the client's own count
        assert await reset(owner, owners_code) == {"ok": True, "userErrors": []}


def test_a_reset_asked_over_a_websocket_is_emailed(make_settings, customer):
    settings = make_settings()
    query = REQUEST_PASSWORD_RESET
    with (
        TestClient(create_app(settings)) as tc,
        tc.websocket_connect("/graphql", subprotocols=[TRANSPORT_WS]) as ws,
        MongoClient(settings.mongodb_uri) as mongo,
    ):
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        payload = {"query": query, "variables": {"email": customer.email}}
        ws.send_json({"id": "1", "type": "subscribe", "payload": payload})
        answer = ws.receive_json()

        assert without_cost(answer["payload"]) == {
            "data": {"requestPasswordReset": {"ok": True, "userErrors": []}}
        }
        outbox = mongo[settings.db_name].outbox
        deadline = time.monotonic() + 5
        while not outbox.count_documents({"kind": RESET, "to": customer.email}):
            assert time.monotonic() < deadline, "no reset email"
            time.sleep(0.02)
