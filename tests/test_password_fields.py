"""At most one login/register/changePassword/resetPassword field per document, aliases and
fragments included: refused while validating, before any password is hashed."""

import time

import pytest
from graphql import parse

from shopgraph.schema.password_fields import password_field_count
from tests.conftest import create_user
from tests.helpers import PASSWORD, answered, post

BAD_USER_INPUT = "BAD_USER_INPUT"


def refusal(count: int) -> str:
    return (
        "A document may hold at most one of the fields login, register, changePassword and "
        f"resetPassword (aliases included); found {count}. Send them in separate requests."
    )


async def test_two_aliased_logins_are_refused_before_anything_runs(client, db):
    await create_user(db, "owner@shop.test", PASSWORD)
    query = """mutation {
      a: login(email: "owner@shop.test", password: "guess one") { accessToken }
      b: login(email: "owner@shop.test", password: "correct horse battery") { accessToken }
    }"""

    body = answered(await post(client, query))

    assert body == {
        "data": None,
        "errors": [{"message": refusal(2), "extensions": {"code": BAD_USER_INPUT}}],
    }
    assert await db.login_attempts.count_documents({}) == 0
    assert await db.refresh_tokens.count_documents({}) == 0


async def test_thirty_aliased_logins_name_their_count(client, db):
    fields = "\n".join(
        f'g{n}: login(email: "user{n}@shop.test", password: "guess") {{ accessToken }}'
        for n in range(30)
    )

    body = answered(await post(client, f"mutation {{ {fields} }}"))

    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [refusal(30)]
    assert await db.login_attempts.count_documents({}) == 0


async def test_a_login_and_a_register_together_are_refused(client, db):
    query = """mutation {
      register(input: {email: "new@shop.test", password: "a good password", name: "New"}) {
        accessToken
      }
      login(email: "new@shop.test", password: "a good password") { accessToken }
    }"""

    body = answered(await post(client, query))

    assert [e["message"] for e in body["errors"]] == [refusal(2)]
    assert await db.users.count_documents({}) == 0


async def test_a_fragment_spread_twice_counts_twice(client, db):
    query = """mutation Twice { ...Guess ...Guess }
    fragment Guess on Mutation { login(email: "a@shop.test", password: "guess") { accessToken } }"""

    body = answered(await post(client, query))

    assert [e["message"] for e in body["errors"]] == [refusal(2)]
    assert await db.login_attempts.count_documents({}) == 0


async def test_one_password_field_beside_other_mutations_is_served(client, db):
    await create_user(db, "owner@shop.test", PASSWORD)
    query = f"""mutation {{
      login(email: "owner@shop.test", password: "{PASSWORD}") {{
        accessToken userErrors {{ code }}
      }}
      refreshToken(refreshToken: "not a token") {{ userErrors {{ code }} }}
    }}"""

    body = answered(await post(client, query))

    assert "errors" not in body, body
    assert body["data"]["login"]["accessToken"]
    assert body["data"]["refreshToken"]["userErrors"] == [{"code": "INVALID_TOKEN"}]


@pytest.mark.parametrize(
    ("document", "count"),
    [
        ('mutation { login(email: "a", password: "b") { accessToken } }', 1),
        ("mutation { x: resetPassword(token: 1) { ok } y: resetPassword(token: 2) { ok } }", 2),
        ("mutation { changePassword { ok } ... on Mutation { register { ok } } }", 2),
        # Fields of the payloads are not mutation fields, whatever their names.
        ("mutation { logout { login register } }", 0),
        # Queries hold none, even with look-alike names.
        ("query { login register }", 0),
        # Per document: two operations hold two, though a request runs only one.
        ("mutation A { login { ok } } mutation B { login { ok } }", 2),
        # A fragment spread inside a fragment, used twice.
        (
            "mutation { ...Outer ...Outer } fragment Outer on Mutation { ...Inner } "
            "fragment Inner on Mutation { register { ok } }",
            2,
        ),
        # Cycles and unknown fragments are graphql-core's to refuse (a cycle is not counted).
        ("mutation { ...A } fragment A on Mutation { login { ok } ...A }", 0),
        ("mutation { ...Missing login { ok } }", 1),
    ],
)
def test_password_fields_are_counted_at_the_roots_of_mutations(document, count):
    assert password_field_count(parse(document)) == count


def test_fragments_that_fan_out_are_counted_quickly():
    """Each fragment spreads the next twice: 2**60 paths, counted once per fragment."""
    chain = " ".join(f"fragment F{n} on Mutation {{ ...F{n + 1} ...F{n + 1} }}" for n in range(60))
    document = parse(f"mutation {{ ...F0 }} {chain} fragment F60 on Mutation {{ login {{ ok }} }}")

    started = time.perf_counter()
    assert password_field_count(document) == 2**60
    assert time.perf_counter() - started < 0.5


def test_a_long_chain_of_fragments_does_not_exhaust_the_stack():
    chain = " ".join(f"fragment F{n} on Mutation {{ ...F{n + 1} }}" for n in range(3000))
    document = parse(f"mutation {{ ...F0 }} {chain} fragment F3000 on Mutation {{ login }}")

    assert password_field_count(document) == 1
