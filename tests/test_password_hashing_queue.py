"""The argon2 queue is bounded: beyond the running hashes and the few allowed to wait, a
password request is refused at once with TOO_MANY_ATTEMPTS instead of queueing."""

import asyncio
from typing import Any

from argon2 import PasswordHasher

from shopgraph.auth.passwords import HashingBusy, Passwords
from shopgraph.datasources.client import Datasources
from tests.helpers import PASSWORD, codes, login

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
