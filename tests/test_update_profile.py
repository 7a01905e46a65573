"""updateProfile: the caller's own name changes; an invalid one is refused."""

from typing import Any

import pytest

from tests.conftest import graphql
from tests.helpers import UPDATE_PROFILE, assert_unauthenticated, bearer, me


async def update_profile(client, token: str, name: str) -> dict[str, Any]:
    body = await graphql(client, UPDATE_PROFILE, {"name": name}, headers=bearer(token))
    assert "errors" not in body, body
    return body["data"]["updateProfile"]


async def test_update_profile_changes_the_name(client, db, customer):
    before = await db.users.find_one({"_id": customer.id})

    payload = await update_profile(client, customer.access_token, "  Grace Hopper ")

    assert payload == {
        "user": {
            "id": customer.global_id,
            "email": customer.email,
            "name": "Grace Hopper",
            "role": "CUSTOMER",
        },
        "userErrors": [],
    }
    after = await db.users.find_one({"_id": customer.id})
    assert after["name"] == "Grace Hopper"
    assert after["updatedAt"] != before["updatedAt"]
    assert after["passwordHash"] == before["passwordHash"]
    assert (await me(client, customer.access_token))["data"]["me"]["name"] == "Grace Hopper"


@pytest.mark.parametrize("name", ["", "    ", "n" * 101])
async def test_update_profile_refuses_an_invalid_name(client, db, customer, name):
    payload = await update_profile(client, customer.access_token, name)

    assert payload == {
        "user": None,
        "userErrors": [
            {
                "field": ["input", "name"],
                "message": "The name must be 1 to 100 characters long.",
                "code": "INVALID",
            }
        ],
    }
    assert (await db.users.find_one({"_id": customer.id}))["name"] == "Test"


async def test_update_profile_changes_only_the_callers_account(
    client, db, customer, other_customer
):
    await update_profile(client, other_customer.access_token, "Someone Else")

    assert (await db.users.find_one({"_id": customer.id}))["name"] == "Test"
    assert (await db.users.find_one({"_id": other_customer.id}))["name"] == "Someone Else"


async def test_update_profile_needs_a_token(client):
    body = await graphql(client, UPDATE_PROFILE, {"name": "Anon"})

    assert body["data"] is None
    assert_unauthenticated(body)
