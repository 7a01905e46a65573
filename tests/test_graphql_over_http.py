"""GraphQL over HTTP: the media type an answer goes out in, and its status code.

A client that prefers `application/graphql-response+json` gets it, with 4xx (or 5xx) and
no `data` entry when a request error stops the operation before it runs, and 200 with
`data` once it has run. `application/json` clients get what they always got. The
reference implementation's audit (npm graphql-http) checks a real `shopgraph serve`.
"""

import asyncio
import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.server.embedded import EmbeddedMongo
from tests import served
from tests.conftest import PROJECT_ROOT, without_cost
from tests.factories import global_id, product_document
from tests.helpers import bearer, claims_for, sign

GRAPHQL_RESPONSE = "application/graphql-response+json"
GRAPHQL_RESPONSE_TYPE = "application/graphql-response+json; charset=utf-8"
PREFERS_GRAPHQL_RESPONSE = {"accept": GRAPHQL_RESPONSE}
PREFERS_JSON = {"accept": "application/json"}
GENERATED_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
AUDIT_DIR = PROJECT_ROOT / "tests" / "http_audit"
# The audits that warned before this media type was served (graphql-http 1.23.1).
ONCE_WARNED = ["22EB", "865D", "556A", "D586", "51FE", "74FF", "5E5B", "86EE"]


async def post(client, body: dict[str, Any], headers: dict[str, str]):
    return await client.post("/graphql", json=body, headers=headers)


# --- which media type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE_TYPE),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE_TYPE),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE_TYPE),
        ("application/json;q=0.5, application/graphql-response+json", GRAPHQL_RESPONSE_TYPE),
        ("application/graphql-response+json, */*;q=0.1", GRAPHQL_RESPONSE_TYPE),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_TYPE),
        ("text/html, application/graphql-response+json", GRAPHQL_RESPONSE_TYPE),
        ("application/json, application/graphql-response+json", "application/json"),
        ("application/graphql-response+json;q=0.5, application/json", "application/json"),
        ("application/graphql-response+json;q=0.5, */*", "application/json"),
        ("application/graphql-response+json;q=0", "application/json"),
        ("application/graphql-response+json;q=high", "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("text/plain", "application/json"),
        (None, "application/json"),
    ],
)
async def test_the_accept_header_chooses_the_media_type(client, accept, expected):
    """The new type only when the client names it and prefers it: by quality, then by how
    specific the range is, then by the order listed. A wildcard keeps application/json."""
    request = client.build_request("POST", "/graphql", json={"query": "{ __typename }"})
    del request.headers["accept"]  # httpx's own `*/*`
    if accept is not None:
        request.headers["accept"] = accept
    response = await client.send(request)

    assert response.status_code == 200
    assert response.headers["content-type"] == expected
    assert without_cost(response.json()) == {"data": {"__typename": "Query"}}
    assert "Accept" in response.headers["vary"]


async def test_get_queries_negotiate_too_and_mutations_over_get_stay_405(client):
    query = await client.get(
        "/graphql", params={"query": "{ __typename }"}, headers=PREFERS_GRAPHQL_RESPONSE
    )
    mutation = await client.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers=PREFERS_GRAPHQL_RESPONSE
    )

    assert (query.status_code, query.headers["content-type"]) == (200, GRAPHQL_RESPONSE_TYPE)
    assert without_cost(query.json()) == {"data": {"__typename": "Query"}}
    assert mutation.status_code == 405


# --- request errors: 4xx and no data, or 200 and data null for application/json -------------

# 12 levels of fields, 10 allowed (SHOPGRAPH_MAX_QUERY_DEPTH).
DEEP = "{ products { edges { node { " + "variants { product { " * 4 + "name" + " }" * 12
COSTLY = (
    "{ orders(first: 100) { edges { node { user { "
    "orders(first: 100) { edges { node { items { name } } } } } } } } }"
)
REQUEST_ERRORS = {
    "syntax": ({"query": "{"}, "Syntax Error: Expected Name, found <EOF>."),
    "unknown field": (
        {"query": "{ nope }"},
        "Cannot query field 'nope' on type 'Query'. Did you mean 'node'?",
    ),
    "too deep": ({"query": DEEP}, "'anonymous' exceeds maximum operation depth of 10"),
    "too many tokens": (
        {"query": "{ " + "__typename " * 2100 + "}"},
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted.",
    ),
    "null for a non-null variable": (
        {"query": "query ($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
        "Variable '$id' has invalid value: Expected value of non-null type 'ID!' not to be None.",
    ),
    "a string for an Int variable": (
        {
            "query": "query ($n: Int) { products(first: $n) { totalCount } }",
            "variables": {"n": "x"},
        },
        "Variable '$n' has invalid value: Int cannot represent non-integer value: 'x'",
    ),
    "too costly": (
        {"query": COSTLY},
        "This query may cost 520602, more than the limit of 10000. Ask for smaller pages "
        "(`first`/`last`) or fewer nested lists, or split it into several queries.",
    ),
    "a subscription": (
        {"query": "subscription { stockUpdated { stock } }"},
        "Subscriptions are served over WebSocket at /graphql "
        "(graphql-transport-ws or graphql-ws), not over HTTP.",
    ),
}


@pytest.mark.parametrize(
    ("body", "message"), list(REQUEST_ERRORS.values()), ids=list(REQUEST_ERRORS)
)
async def test_a_request_error_is_400_without_data(client, body, message):
    """Parse and validation failures, the document limits, variables that do not coerce,
    the cost limit and a subscription over HTTP stop the operation before it runs."""
    response = await post(client, body, PREFERS_GRAPHQL_RESPONSE)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_TYPE
    answer = response.json()
    assert "data" not in answer
    assert [error["message"] for error in answer["errors"]] == [message]
    assert GENERATED_REQUEST_ID.match(response.headers["X-Request-ID"])


@pytest.mark.parametrize(
    ("body", "message"), list(REQUEST_ERRORS.values()), ids=list(REQUEST_ERRORS)
)
async def test_application_json_gets_the_same_errors_with_200_and_data_null(client, body, message):
    """As before the new media type: only the status and the `data` entry differ."""
    legacy = await post(client, body, PREFERS_JSON)
    current = await post(client, body, PREFERS_GRAPHQL_RESPONSE)

    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "application/json"
    assert legacy.json() == {"data": None, **current.json()}


async def test_the_cost_refusal_keeps_its_code_and_report(client):
    body, _ = REQUEST_ERRORS["too costly"]

    response = await post(client, body, PREFERS_GRAPHQL_RESPONSE)

    cost = {"requestedQueryCost": 520602, "maximumAvailable": 10000}
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "cost": cost}
    assert response.json()["extensions"] == {"cost": cost}


async def test_an_operation_that_cannot_be_chosen_is_a_graphql_error(client):
    """application/json clients keep the plain-text 400 they had."""
    body = {"query": "query A { __typename }", "operationName": "B"}

    current = await post(client, body, PREFERS_GRAPHQL_RESPONSE)
    legacy = await post(client, body, PREFERS_JSON)

    assert current.status_code == 400
    assert current.headers["content-type"] == GRAPHQL_RESPONSE_TYPE
    assert current.json() == {"errors": [{"message": 'Unknown operation named "B".'}]}
    assert (legacy.status_code, legacy.text) == (400, 'Unknown operation named "B".')
    assert legacy.headers["content-type"].startswith("text/plain")


async def test_a_bad_token_is_401_with_a_bearer_challenge(client):
    headers = {**PREFERS_GRAPHQL_RESPONSE, **bearer("not-a-token")}

    response = await post(client, {"query": "{ __typename }"}, headers)
    legacy = await post(client, {"query": "{ __typename }"}, {**headers, **PREFERS_JSON})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_TYPE
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "data" not in response.json()
    assert legacy.status_code == 200 and legacy.json()["data"] is None
    assert "WWW-Authenticate" not in legacy.headers


async def test_mongodb_failing_before_execution_is_500(make_settings, app_with, tmp_path):
    """A token's session is checked against its user before anything runs: with MongoDB
    gone that check fails, which is the server's fault, not the request's."""
    mongo = EmbeddedMongo("memory", log_dir=tmp_path)
    mongo.start()
    try:
        settings = make_settings(mongodb_uri=mongo.uri, mongodb_timeout_ms=500)
        token = sign(claims_for(ObjectId()))
        async with app_with(settings) as http:
            mongo.stop()
            headers = {**bearer(token), **PREFERS_GRAPHQL_RESPONSE}
            response = await post(http, {"query": "{ __typename }"}, headers)
            legacy = await post(http, {"query": "{ __typename }"}, {**headers, **PREFERS_JSON})
    finally:
        mongo.stop()

    assert response.status_code == 500
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_TYPE
    assert "data" not in response.json() and response.json()["errors"]
    assert legacy.status_code == 200 and legacy.json()["data"] is None
    # Neither says more than that it failed: the driver's message names servers.
    for body in (response.json(), legacy.json()):
        [error] = body["errors"]
        assert error["message"] == "Internal server error.", error
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


# --- executed operations: 200 with data, even with errors -------------------------------------


async def test_a_field_error_is_200_with_the_data_that_could_be_had(client):
    order = global_id("Order", ObjectId())

    response = await post(
        client,
        {"query": f'{{ __typename order(id: "{order}") {{ number }} }}'},
        PREFERS_GRAPHQL_RESPONSE,
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_TYPE
    answer = without_cost(response.json())
    assert answer["data"] == {"__typename": "Query", "order": None}
    [error] = answer["errors"]
    assert (error["path"], error["extensions"]) == (["order"], {"code": "UNAUTHENTICATED"})


async def test_a_masked_error_that_nulls_the_whole_answer_is_still_200_with_data_null(db, client):
    """The operation ran: `data` is there, null, as the GraphQL specification has it."""
    await db.products.insert_one(product_document(sku="BROKEN-1", price="free"))

    response = await post(
        client,
        {"query": "{ products { edges { node { sku price { amount } } } } }"},
        PREFERS_GRAPHQL_RESPONSE,
    )

    assert response.status_code == 200
    answer = without_cost(response.json())
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["X-Request-ID"]


# --- what HTTP itself refuses stays plain text ------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "status", "text"),
    [
        (b'{ "not a JSON', "application/json", 400, "Unable to parse request body as JSON"),
        (b'{"qeury": "{ __typename }"}', "application/json", 400, None),
        (b"x" * 100_001, "application/json", 413, None),
        (b'{"query": "{ __typename }"}', "text/plain", 400, "Unsupported content type"),
    ],
    ids=["not json", "no query", "too large", "content type"],
)
async def test_what_http_refuses_is_plain_text_whatever_the_accept_header(
    client, content, content_type, status, text
):
    headers = {"content-type": content_type, **PREFERS_GRAPHQL_RESPONSE}
    current = await client.post("/graphql", content=content, headers=headers)
    legacy = await client.post("/graphql", content=content, headers={**headers, **PREFERS_JSON})

    assert current.status_code == status
    assert current.headers["content-type"].startswith("text/plain")
    assert (current.status_code, current.text) == (legacy.status_code, legacy.text)
    if text is not None:
        assert current.text == text


async def test_a_sane_request_id_comes_back_under_either_media_type(client):
    for accept in (PREFERS_GRAPHQL_RESPONSE, PREFERS_JSON):
        headers = {**accept, "X-Request-ID": "order-page-0001"}
        response = await post(client, {"query": "{"}, headers)
        assert response.headers["X-Request-ID"] == "order-page-0001"


# --- the reference implementation's audit, against `shopgraph serve` --------------------------


@pytest.fixture
def serve_env(mongodb_target, tmp_path) -> dict[str, str]:
    return served.serve_env(mongodb_target, tmp_path)


def run_audit(url: str) -> list[dict[str, Any]]:
    """Every audit's result; fails, saying what to install, when Node.js or the audit's
    package is missing (`make install` installs it where npm exists)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the GraphQL over HTTP audit: install Node.js and npm"
    assert (AUDIT_DIR / "node_modules" / "graphql-http").is_dir(), (
        "graphql-http is not installed in tests/http_audit: run `make install` with npm present"
    )
    ran = subprocess.run(
        [node, str(AUDIT_DIR / "audit.mjs"), url], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)


def described(result: dict[str, Any]) -> str:
    answer = f"{result['responseStatus']} {result['responseType']} {result['responseBody'][:300]}"
    return f"{result['status']} {result['id']} {result['name']}: {result['reason']} (got {answer})"


async def test_the_reference_audit_finds_no_warning_and_no_error(serve_env, tmp_path):
    server = await served.serve(serve_env, tmp_path / "serve.log")
    try:
        results = await asyncio.to_thread(run_audit, f"{server.base_url}/graphql")
    finally:
        server.stop()

    failing = [r for r in results if r["status"] in ("warn", "error")]
    assert not failing, "\n".join(described(r) for r in failing)
    by_id = {r["id"]: r["status"] for r in results}
    assert len(results) >= 60, by_id
    assert [by_id.get(audit) for audit in ONCE_WARNED] == ["ok"] * len(ONCE_WARNED)
