"""Access tokens crafted by hand: only a well-formed, HS256-signed, unexpired token that we
issued is accepted; anything else fails the whole request with UNAUTHENTICATED.

A bad token must never degrade to an anonymous request (clients must refresh), so each
rejected request is checked for `data: null`, one UNAUTHENTICATED error, HTTP 200, and no
traceback in the body.
"""

import base64
import json
import time
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import LOGIN, TEST_JWT_SECRET, graphql
from tests.helpers import AUDIENCE, ISSUER, answered, bearer, claims_for, post, sign

# `__typename` needs no user and no database: if a bad token let the request run as
# anonymous, the response would carry data.
ME = "{ __typename me { id email role } }"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def assert_unauthenticated(
    client: httpx.AsyncClient, headers: Any, query: str = ME, **variables: Any
) -> None:
    response = await post(client, query, variables, headers)
    body = answered(response)
    assert "jwt" not in response.text.lower()  # no library error text leaks
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body


# --- Accepted tokens ---------------------------------------------------------------------


async def test_a_token_crafted_with_the_right_key_and_claims_is_accepted(client, customer):
    token = sign(claims_for(customer.id))

    body = await graphql(client, ME, headers=bearer(token))

    assert body == {
        "data": {
            "__typename": "Query",
            "me": {"id": customer.global_id, "email": customer.email, "role": "CUSTOMER"},
        }
    }


async def test_the_server_issued_token_carries_the_documented_claims(customer):
    claims = jwt.decode(
        customer.access_token,
        TEST_JWT_SECRET,
        algorithms=["HS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )

    assert jwt.get_unverified_header(customer.access_token)["alg"] == "HS256"
    assert claims["sub"] == str(customer.id)
    assert claims["role"] == "CUSTOMER"
    assert claims["typ"] == "access"
    assert isinstance(claims["sid"], str) and claims["sid"]
    assert isinstance(claims["jti"], str) and claims["jti"]
    assert claims["exp"] - claims["iat"] == 15 * 60


async def test_no_token_is_anonymous(client):
    body = await graphql(client, ME)

    assert body == {"data": {"__typename": "Query", "me": None}}


async def test_a_token_expired_within_the_leeway_is_accepted(client, customer):
    now = int(time.time())
    token = sign(claims_for(customer.id, iat=now - 15 * 60 - 10, exp=now - 10))

    body = await graphql(client, ME, headers=bearer(token))

    assert body["data"]["me"]["email"] == customer.email, body


async def test_the_bearer_scheme_is_case_insensitive(client, customer):
    body = await graphql(
        client, ME, headers={"Authorization": f"bearer {sign(claims_for(customer.id))}"}
    )

    assert body["data"]["me"]["email"] == customer.email, body


async def test_rights_come_from_the_user_not_from_the_role_claim(client, customer):
    """A customer who signs nothing cannot become admin, but even a token that *says*
    ADMIN (were the key to leak) grants only what the user document grants."""
    token = sign(claims_for(customer.id, role="ADMIN"))

    body = await graphql(client, "{ users(first: 1) { totalCount } }", headers=bearer(token))

    assert body["data"] is None, body
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body


# --- Rejected tokens ---------------------------------------------------------------------


async def test_a_tampered_payload_is_refused(client, customer):
    header, payload, signature = customer.access_token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["role"] = "ADMIN"
    forged_payload = b64url(json.dumps(claims, separators=(",", ":")).encode())

    await assert_unauthenticated(client, bearer(f"{header}.{forged_payload}.{signature}"))


async def test_a_token_claiming_another_user_is_refused(client, customer, other_customer):
    header, payload, signature = customer.access_token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = str(other_customer.id)
    forged_payload = b64url(json.dumps(claims, separators=(",", ":")).encode())

    await assert_unauthenticated(client, bearer(f"{header}.{forged_payload}.{signature}"))


async def test_a_tampered_signature_is_refused(client, customer):
    header, payload, signature = customer.access_token.split(".")
    # The first character carries six whole bits of the MAC (the last one partly padding).
    tampered = ("A" if signature[0] != "A" else "B") + signature[1:]

    await assert_unauthenticated(client, bearer(f"{header}.{payload}.{tampered}"))


async def test_a_token_without_its_signature_is_refused(client, customer):
    header, payload, _ = customer.access_token.split(".")

    await assert_unauthenticated(client, bearer(f"{header}.{payload}."))


async def test_a_token_expired_beyond_the_leeway_is_refused(client, customer):
    now = int(time.time())
    token = sign(claims_for(customer.id, iat=now - 15 * 60 - 60, exp=now - 60))

    await assert_unauthenticated(client, bearer(token))


async def test_a_token_signed_with_another_key_is_refused(client, customer):
    token = sign(claims_for(customer.id), key="another-secret-that-is-also-long-enough-0123456789")

    await assert_unauthenticated(client, bearer(token))


async def test_an_unsigned_alg_none_token_is_refused(client, customer):
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims_for(customer.id)).encode())

    await assert_unauthenticated(client, bearer(f"{header}.{payload}."))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
async def test_another_hmac_algorithm_with_the_right_key_is_refused(client, customer, algorithm):
    token = sign(claims_for(customer.id), algorithm=algorithm)

    await assert_unauthenticated(client, bearer(token))


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"aud": "another-api"}, id="wrong-aud"),
        pytest.param({"aud": ["another-api"]}, id="wrong-aud-list"),
        pytest.param({"iss": "someone-else"}, id="wrong-iss"),
        pytest.param({"typ": "refresh"}, id="typ-refresh"),
        pytest.param({"typ": "Access"}, id="typ-wrong-case"),
        pytest.param({"sub": 12345}, id="sub-not-a-string"),
        pytest.param({"iat": int(time.time()) + 3600}, id="iat-in-the-future"),
        pytest.param({"exp": "tomorrow"}, id="exp-not-a-number"),
    ],
)
async def test_a_token_with_a_wrong_claim_is_refused(client, customer, overrides):
    await assert_unauthenticated(client, bearer(sign(claims_for(customer.id, **overrides))))


@pytest.mark.parametrize(
    "claim", ["sub", "role", "sid", "auth_time", "iat", "exp", "iss", "aud", "jti", "typ"]
)
async def test_a_token_missing_a_required_claim_is_refused(client, customer, claim):
    token = sign(claims_for(customer.id, **{claim: None}))
    assert claim not in jwt.decode(token, options={"verify_signature": False})

    await assert_unauthenticated(client, bearer(token))


@pytest.mark.parametrize(
    "subject", ["not-an-object-id", "", "0" * 23, "zz" * 12, "ffffffffffffffffffffffff "]
)
async def test_a_token_whose_subject_is_not_an_object_id_is_refused(client, subject):
    """Such a token can only come from a leaked key or a bug; it must fail the request like
    any other bad token rather than run it (as anonymous, or as a missing user)."""
    await assert_unauthenticated(client, bearer(sign(claims_for(subject, sub=subject))))


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer garbage", id="garbage"),
        pytest.param("Bearer a.b.c", id="three-garbage-segments"),
        pytest.param("Bearer ..", id="empty-segments"),
        pytest.param("Bearer eyJhbGciOiJIUzI1NiJ9", id="header-only"),
        pytest.param("Bearer " + "A" * 4000, id="long-garbage"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer    ", id="bearer-with-blanks"),
        pytest.param("Basic dXNlcjpwYXNzd29yZA==", id="basic"),
        pytest.param("Token abc.def.ghi", id="other-scheme"),
    ],
)
async def test_a_malformed_authorization_header_is_refused(client, authorization):
    await assert_unauthenticated(client, {"Authorization": authorization})


async def test_a_valid_token_without_the_bearer_scheme_is_refused(client, customer):
    await assert_unauthenticated(client, {"Authorization": customer.access_token})


async def test_a_valid_token_under_the_basic_scheme_is_refused(client, customer):
    await assert_unauthenticated(client, {"Authorization": f"Basic {customer.access_token}"})


async def test_non_ascii_bytes_in_the_token_are_refused(client):
    await assert_unauthenticated(client, [(b"authorization", b"Bearer \xff\xfe.\xc3\xa9.x")])


async def test_a_bad_token_fails_a_mutation_before_it_runs(client, db, customer):
    """No login happens (and no attempt is counted) under a forged token."""
    forged = sign(claims_for(customer.id), key="another-secret-that-is-also-long-enough-0123456789")

    await assert_unauthenticated(
        client, bearer(forged), LOGIN, email=customer.email, password="wrong password"
    )

    assert await db.login_attempts.count_documents({}) == 0
    tokens_before = await db.refresh_tokens.count_documents({})
    await assert_unauthenticated(
        client, bearer(forged), LOGIN, email=customer.email, password=customer.password
    )
    assert await db.refresh_tokens.count_documents({}) == tokens_before
