"""Email verification: register (or requestEmailVerification) emails a one-time code, and
verifyEmail(code) marks the address as the account's own (`User.emailVerified`)."""

import asyncio
from datetime import timedelta

from tests.conftest import graphql
from tests.helpers import (
    REQUEST_EMAIL_VERIFICATION,
    REQUEST_PASSWORD_RESET,
    RESET,
    RESET_PASSWORD,
    VERIFICATION,
    VERIFY_EMAIL,
    account_mails,
    assert_unauthenticated,
    bearer,
    let_mail_quota_pass,
    mailed_code,
    ok_payload,
    register,
)

ME = "{ me { email emailVerified } }"
INVALID_CODE = {
    "field": ["token"],
    "message": "This confirmation code does not work: it was used or it expired. "
    "Ask for a new one.",
    "code": "INVALID_TOKEN",
}


async def verify(client, token: str) -> dict:
    return await ok_payload(client, VERIFY_EMAIL, {"token": token})


async def ask_verification(client, account) -> dict:
    return await ok_payload(client, REQUEST_EMAIL_VERIFICATION, headers=account.headers)


async def me(client, access_token: str) -> dict:
    body = await graphql(client, ME, headers=bearer(access_token))
    assert "errors" not in body, body
    return body["data"]["me"]


async def test_registering_emails_a_code_that_verifies_the_address(client, db):
    registered = await register(client, "ada@shop.test")
    assert await me(client, registered["accessToken"]) == {
        "email": "ada@shop.test",
        "emailVerified": False,
    }
    [mail] = await account_mails(db, "ada@shop.test")
    assert mail["kind"] == VERIFICATION
    assert mail["subject"] == "Confirm your email address"
    assert "48 hours" in mail["text"] and "verifyEmail" in mail["text"]
    token = await mailed_code(db, "ada@shop.test", VERIFICATION)

    # Anyone holding the code may use it: it proves they read the mailbox.
    payload = await verify(client, token)

    assert payload["userErrors"] == []
    assert payload["user"]["id"] == registered["user"]["id"]
    assert payload["user"]["emailVerified"] is True
    assert await me(client, registered["accessToken"]) == {
        "email": "ada@shop.test",
        "emailVerified": True,
    }
    assert (await db.users.find_one({"email": "ada@shop.test"})).get("emailVerifiedAt")
    assert await db.account_tokens.count_documents({}) == 0
    assert await verify(client, token) == {"user": None, "userErrors": [INVALID_CODE]}


VERIFY_AND_READ = """mutation Verify($token: String!) {
  verifyEmail(token: $token) {
    user { emailVerified email orders(first: 1) { totalCount } }
    userErrors { code }
  }
}"""


async def test_the_code_shows_the_account_as_its_own_only_to_the_logged_in_owner(client, db):
    """The code proves the mailbox, not a session: to anyone but the owner's own token,
    the account's private fields stay closed, as for any other stranger."""
    for stranger in ("ada", "eve"):
        await register(client, f"{stranger}@shop.test")
    bob = await register(client, "bob@shop.test")

    async def verify_and_read(name: str, as_user: dict | None) -> dict:
        token = await mailed_code(db, f"{name}@shop.test", VERIFICATION)
        headers = bearer(as_user["accessToken"]) if as_user else None
        return await graphql(client, VERIFY_AND_READ, {"token": token}, headers=headers)

    def closed(body: dict, code: str) -> None:
        """`User.orders` cannot be null, so its refusal takes the user with it."""
        assert body["data"]["verifyEmail"] == {"user": None, "userErrors": []}
        refused = sorted((e["path"][-1], e["extensions"]["code"]) for e in body["errors"])
        assert refused == [("email", code), ("orders", code)]

    closed(await verify_and_read("ada", None), "UNAUTHENTICATED")
    closed(await verify_and_read("eve", bob), "FORBIDDEN")
    own = await verify_and_read("bob", bob)

    assert own == {
        "data": {
            "verifyEmail": {
                "user": {
                    "emailVerified": True,
                    "email": "bob@shop.test",
                    "orders": {"totalCount": 0},
                },
                "userErrors": [],
            }
        }
    }
    assert await db.users.count_documents({"emailVerifiedAt": {"$exists": True}}) == 3


async def test_existing_accounts_are_unverified(client, customer):
    """The customer's account was stored as accounts were before verification existed."""
    assert await me(client, customer.access_token) == {
        "email": customer.email,
        "emailVerified": False,
    }


async def test_a_logged_in_customer_asks_for_a_code(client, db, customer):
    assert await ask_verification(client, customer) == {"ok": True, "userErrors": []}
    token = await mailed_code(db, customer.email, VERIFICATION)

    assert (await verify(client, token))["user"]["emailVerified"] is True
    # Verified: asking again sends nothing.
    await let_mail_quota_pass(db)
    assert await ask_verification(client, customer) == {"ok": True, "userErrors": []}
    assert len(await account_mails(db, customer.email)) == 1


async def test_asking_again_at_once_is_refused_and_sends_nothing(client, db, customer):
    assert await ask_verification(client, customer) == {"ok": True, "userErrors": []}

    again = await ask_verification(client, customer)

    assert again["ok"] is False
    assert [error["code"] for error in again["userErrors"]] == ["TOO_MANY_ATTEMPTS"]
    assert len(await account_mails(db, customer.email)) == 1


async def test_asking_for_a_code_needs_a_login(client, db):
    body = await graphql(client, REQUEST_EMAIL_VERIFICATION)

    assert_unauthenticated(body)
    assert await db.outbox.count_documents({}) == 0


async def test_an_expired_code_is_refused(client, db, customer):
    await ask_verification(client, customer)
    token = await mailed_code(db, customer.email, VERIFICATION)
    stored = await db.account_tokens.find_one({})
    lifetime = stored["expiresAt"] - stored["createdAt"]
    assert abs(lifetime - timedelta(hours=48)) < timedelta(seconds=1)
    expired = {**stored, "expiresAt": stored["createdAt"] - timedelta(seconds=1)}
    await db.account_tokens.replace_one({"_id": stored["_id"]}, expired)

    assert await verify(client, token) == {"user": None, "userErrors": [INVALID_CODE]}
    assert (await me(client, customer.access_token))["emailVerified"] is False


async def test_of_concurrent_uses_of_one_code_exactly_one_succeeds(client, db, customer):
    await ask_verification(client, customer)
    token = await mailed_code(db, customer.email, VERIFICATION)

    payloads = await asyncio.gather(*(verify(client, token) for _ in range(10)))

    assert sum(payload["userErrors"] == [] for payload in payloads) == 1
    assert sum(payload["userErrors"] == [INVALID_CODE] for payload in payloads) == 9


async def test_a_code_does_only_what_it_was_sent_for(client, db, customer):
    await ask_verification(client, customer)
    verification = await mailed_code(db, customer.email, VERIFICATION)
    await ok_payload(client, REQUEST_PASSWORD_RESET, {"email": customer.email})
    reset = await mailed_code(db, customer.email, RESET)

    assert await verify(client, reset) == {"user": None, "userErrors": [INVALID_CODE]}
    refused = await ok_payload(
        client, RESET_PASSWORD, {"token": verification, "newPassword": "a new passphrase"}
    )
    assert [error["code"] for error in refused["userErrors"]] == ["INVALID_TOKEN"]
    assert await db.account_tokens.count_documents({}) == 2


async def test_a_made_up_code_is_refused(client):
    for token in ["", "nope", "x" * 5000]:
        assert await verify(client, token) == {"user": None, "userErrors": [INVALID_CODE]}


async def test_admins_see_whether_an_address_is_verified(client, db, customer, admin, command_log):
    query = "query One($id: ID!) { user(id: $id) { emailVerified } }"
    await ask_verification(client, customer)
    await verify(client, await mailed_code(db, customer.email, VERIFICATION))
    command_log.clear()

    body = await graphql(client, query, {"id": customer.global_id}, headers=admin.headers)

    assert body == {"data": {"user": {"emailVerified": True}}}
    # Only the field behind it is fetched.
    projections = [find.get("projection") for find in command_log.named("find", "users")]
    assert {"emailVerifiedAt": 1} in projections, projections
