"""The argon2 queue is bounded: beyond the running hashes and the few allowed to wait, a
password request is refused at once with TOO_MANY_ATTEMPTS instead of queueing. And one
client address cannot fill it: it may have only a few password checks running at once."""

import asyncio
from typing import Any

import pytest
from argon2 import PasswordHasher

from shopgraph.auth.checks_in_flight import TOO_MANY_AT_ONCE, ChecksInFlight
from shopgraph.auth.passwords import HashingBusy, Passwords
from shopgraph.datasources.client import Datasources
from shopgraph.errors import DomainError
from tests.conftest import LOGIN, graphql
from tests.helpers import PASSWORD, REGISTER, codes, login

BUSY = {
    "field": None,
    "message": "The server is busy; try again shortly.",
    "code": "TOO_MANY_ATTEMPTS",
}
# Slow enough (tens of milliseconds a hash) that a burst really finds the slots taken.
HEAVY = {"argon2_time_cost": 3, "argon2_memory_kib": 32 * 1024, "argon2_parallelism": 1}


async def test_a_burst_beyond_slots_and_queue_is_refused_at_once():
    """Two running, one waiting: of five hashes started together, two are refused."""
    passwords = Passwords(time_cost=1, memory_kib=1024, parallelism=1, concurrency=2, queue=1)

    results = await asyncio.gather(
        *(passwords.hash(f"password {n}") for n in range(5)), return_exceptions=True
    )

    assert [type(r) for r in results] == [str, str, str, HashingBusy, HashingBusy]
    # Every place is free again afterwards.
    again = await asyncio.gather(*(passwords.hash(f"again {n}") for n in range(3)))
    assert all(h.startswith("$argon2id$") for h in again)


async def test_a_flood_of_logins_gets_refusals_not_a_growing_queue(db, app_with, make_settings):
    """Thirty logins at once with two slots and two places in the queue: some are refused
    immediately, none waits forever, and each one admitted gets its right answer."""
    settings = make_settings(
        password_hashing_concurrency=2,
        password_hashing_queue=2,
        # Thirty attempts in flight from one address: not what this test is about.
        login_client_max_failures=30,
        password_checks_per_client=30,
        **HEAVY,
    )
    hashed = PasswordHasher(time_cost=3, memory_cost=32 * 1024, parallelism=1).hash(PASSWORD)
    users = Datasources.for_database(db).users
    for n in range(20):
        await users.create(f"user{n}@shop.test", f"User {n}", hashed, "CUSTOMER")
    # Ten right passwords, ten wrong ones, ten unknown emails.
    tries = (
        [(f"user{n}@shop.test", PASSWORD, []) for n in range(10)]
        + [(f"user{n}@shop.test", "wrong password", ["INVALID_CREDENTIALS"]) for n in range(10, 20)]
        + [(f"ghost{n}@shop.test", PASSWORD, ["INVALID_CREDENTIALS"]) for n in range(10)]
    )

    async with app_with(settings) as http:

        async def attempt(email: str, password: str) -> dict[str, Any]:
            return await login(http, email, password)

        payloads = await asyncio.wait_for(
            asyncio.gather(*(attempt(email, password) for email, password, _ in tries)), 120
        )

        answers = [
            (email, expected, payload)
            for (email, _, expected), payload in zip(tries, payloads, strict=True)
        ]
        busy = [email for email, _, payload in answers if payload["userErrors"] == [BUSY]]
        admitted = [answer for answer in answers if answer[2]["userErrors"] != [BUSY]]
        assert busy, "no login was refused: the queue grew instead"
        assert len(admitted) >= 4  # the two running and the two waiting
        for email, expected, payload in admitted:
            assert codes(payload) == expected, (email, payload)
            assert bool(payload["accessToken"]) == (expected == []), (email, payload)

        # A refusal for being busy is not a failed guess; an admitted wrong one is.
        failed = {e for e, expected, _ in admitted if expected}
        recorded = {a["email"] async for a in db.login_attempts.find({})}
        assert recorded == failed

        # Nothing stayed taken: as many logins as there are places all get through.
        again = await asyncio.gather(*(attempt(f"user{n}@shop.test", PASSWORD) for n in range(4)))
        assert [p["userErrors"] for p in again] == [[]] * 4


# --- one client address, one share of the queue -------------------------------------------

AT_ONCE = {"field": None, "message": TOO_MANY_AT_ONCE, "code": "TOO_MANY_ATTEMPTS"}
ATTACKER, OWNER = "198.51.100.7", "203.0.113.7"


@pytest.mark.parametrize("flood", ["login", "register"])
async def test_one_address_cannot_fill_the_queue_for_everyone_else(
    db, app_with, make_settings, flood
):
    """Twenty requests at once from one address, each a right password of its own account
    (forgiven by the throttle) or a sign-up of a new email, with two slots and eight places
    behind them: the address gets its two checks, the rest of its burst is refused at once,
    and an owner elsewhere, asking meanwhile, is served, not told the server is busy."""
    settings = make_settings(
        trusted_proxies=["127.0.0.1"],
        password_hashing_concurrency=2,
        password_hashing_queue=8,
        password_checks_per_client=2,
        **HEAVY,
    )
    hashed = PasswordHasher(time_cost=3, memory_cost=32 * 1024, parallelism=1).hash(PASSWORD)
    users = Datasources.for_database(db).users
    for email in ("attacker@shop.test", "owner@shop.test"):
        await users.create(email, "Someone", hashed, "CUSTOMER")

    async with app_with(settings) as http:

        async def attack(n: int) -> dict[str, Any]:
            if flood == "login":
                query = LOGIN
                variables: dict[str, Any] = {"email": "attacker@shop.test", "password": PASSWORD}
            else:
                query = REGISTER
                variables = {
                    "input": {"email": f"new{n}@shop.test", "password": PASSWORD, "name": "New"}
                }
            body = await graphql(http, query, variables, headers={"X-Forwarded-For": ATTACKER})
            return body["data"][flood]

        async def owner_logs_in() -> dict[str, Any]:
            body = await graphql(
                http,
                LOGIN,
                {"email": "owner@shop.test", "password": PASSWORD},
                headers={"X-Forwarded-For": OWNER},
            )
            return body["data"]["login"]

        *burst, owner = await asyncio.wait_for(
            asyncio.gather(*(attack(n) for n in range(20)), owner_logs_in()), 120
        )

    assert owner["userErrors"] == [] and owner["accessToken"], owner
    served = [payload for payload in burst if payload["userErrors"] == []]
    refused = [payload for payload in burst if payload["userErrors"] == [AT_ONCE]]
    assert len(served) + len(refused) == 20, burst  # nobody was told the server is busy
    assert 1 <= len(served) <= 10, len(served)
    assert all(payload["accessToken"] for payload in served)
    # What the address was refused left no trace: no sign-up counted, no account made.
    attempts = await db.login_attempts.count_documents({"client": ATTACKER})
    if flood == "register":
        assert await db.users.count_documents({"email": {"$regex": "^new"}}) == len(served)
        assert attempts == len(served)
    else:
        assert attempts == 0  # right passwords, forgiven


async def test_checks_in_flight_are_counted_per_address_and_forgotten_at_zero():
    in_flight = ChecksInFlight(per_client=2)
    release = asyncio.Event()

    async def check(client: str) -> str:
        try:
            with in_flight.admit(client):
                await release.wait()
                return "checked"
        except DomainError as refused:
            return refused.problems[0].message

    checks = [asyncio.create_task(check(client)) for client in ["a"] * 5 + ["b"]]
    await asyncio.wait(checks[2:5])  # refused at once, while the first two still run

    assert (in_flight.slots.held("a"), in_flight.slots.held("b")) == (2, 1)
    release.set()
    outcomes = await asyncio.gather(*checks)
    assert outcomes == ["checked", "checked"] + [TOO_MANY_AT_ONCE] * 3 + ["checked"]
    assert len(in_flight.slots) == 0  # no entry is kept for an address with nothing running
