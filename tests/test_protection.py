"""Protections of the GraphQL endpoint: query limits, body size, error masking, bad HTTP input.

Every test talks to the real ASGI app over HTTP, as a client would.
"""

import asyncio
import decimal
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from graphql import get_introspection_query

from shopgraph.server.app import create_app
from shopgraph.settings import Settings
from tests.conftest import live_server, without_cost
from tests.factories import global_id, product_document
from tests.helpers import post

GENERIC_MESSAGE = "Internal server error."
GENERATED_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
# `products` (0) > `edges` (1) > `node` (2) > `price` (3) > `amount` (4)
DEPTH_4_QUERY = "{ products { edges { node { price { amount } } } } }"
DEPTH_3_QUERY = "{ products { edges { node { sku } } } }"


def error_messages(body: dict[str, Any]) -> list[str]:
    return [error["message"] for error in body.get("errors", [])]


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "shopgraph.errors" and record.levelno >= logging.ERROR
    ]


@asynccontextmanager
async def tolerant_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Like conftest's `running_app`, but a crash reaches the client as the HTTP 500 a real
    client would get, instead of an exception raised inside the test."""
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app, raise_app_exceptions=False),
            base_url="http://shopgraph.test",
        ) as http,
    ):
        yield http


@pytest.fixture(scope="module")
async def http(make_settings) -> AsyncIterator[httpx.AsyncClient]:
    async with tolerant_app(make_settings()) as client:
        yield client


# --- query depth -------------------------------------------------------------------------


async def test_depth_limit_refuses_a_deeper_query_with_a_clear_message(db, app_with, make_settings):
    await db.products.insert_one(product_document(sku="MUG-1"))

    async with app_with(make_settings(max_query_depth=3)) as http:
        response = await post(http, DEPTH_4_QUERY)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert error_messages(body) == ["'anonymous' exceeds maximum operation depth of 3"]


async def test_query_at_the_depth_limit_passes(db, app_with, make_settings):
    await db.products.insert_one(product_document(sku="MUG-1", price=1250))

    async with app_with(make_settings(max_query_depth=3)) as http:
        at_limit = without_cost((await post(http, DEPTH_3_QUERY)).json())
    async with app_with(make_settings(max_query_depth=4)) as http:
        deeper_at_limit = without_cost((await post(http, DEPTH_4_QUERY)).json())

    assert at_limit == {"data": {"products": {"edges": [{"node": {"sku": "MUG-1"}}]}}}
    assert deeper_at_limit == {
        "data": {"products": {"edges": [{"node": {"price": {"amount": "12.50"}}}]}}
    }


@pytest.mark.parametrize(
    "query",
    [
        "query Deep { products { edges { node { ...Price } } } }"
        " fragment Price on Product { price { amount } }",
        "query Deep { products { edges { node { ... on Product { price { amount } } } } } }",
        "query Deep { products { ...Edges } } fragment Edges on ProductConnection"
        " { edges { node { ...Price } } } fragment Price on Product { price { amount } }",
    ],
    ids=["fragment", "inline-fragment", "nested-fragments"],
)
async def test_fragments_do_not_get_around_the_depth_limit(app_with, make_settings, query):
    async with app_with(make_settings(max_query_depth=3)) as http:
        body = (await post(http, query)).json()

    assert body["data"] is None
    assert error_messages(body) == ["'Deep' exceeds maximum operation depth of 3"]


@pytest.mark.parametrize(
    "query",
    [
        "{ }",
        "query { }",
        "mutation { }",
        "{ products { } }",
        "{ products { edges { node { ... on Product { } } } } }",
        "query Q { ...F } fragment F on Query { }",
    ],
)
async def test_an_empty_selection_set_is_refused_with_a_clear_message(client, caplog, query):
    body = (await post(client, query)).json()

    assert body["data"] is None
    assert error_messages(body) == ["A selection set must select at least one field."]
    assert error_records(caplog) == []


@pytest.mark.parametrize(
    "query",
    ["{ ...Nope }", "{ products { ...Nope } }", "mutation { ...Nope }"],
)
async def test_an_undefined_fragment_is_refused_as_unknown(client, caplog, query):
    body = (await post(client, query)).json()

    assert body["data"] is None
    assert error_messages(body) == ["Unknown fragment 'Nope'."]
    assert error_records(caplog) == []


def fanned_out(leaf: str, fragments: int = 40) -> str:
    """Each fragment spreads the next twice: 2**40 paths through 41 fragments."""
    spreads = " ".join(
        f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(fragments)
    )
    return f"query Q {{ ...F0 }} {spreads} fragment F{fragments} on Query {{ {leaf} }}"


async def test_fragments_that_fan_out_are_measured_once_each(client):
    body = without_cost((await post(client, fanned_out("__typename"))).json())

    assert body == {"data": {"__typename": "Query"}}


async def test_aliases_that_fan_out_count_once_per_path(client):
    body = (await post(client, fanned_out("a: __typename"))).json()

    assert body == {"data": None, "errors": [{"message": f"{2**40} aliases found. Allowed: 30"}]}


async def test_a_long_chain_of_fragments_is_refused_cleanly(client, caplog):
    """As long a chain as the token limit allows: graphql-core stops validating it at its
    recursion limit; the depth rule, which does not recurse, must not fail first."""
    chain = " ".join(f"fragment C{n} on Query {{ ...C{n + 1} }}" for n in range(240))
    query = f"query Q {{ ...C0 }} {chain} fragment C240 on Query {{ __typename }}"

    body = (await post(client, query)).json()

    assert body == {"data": None, "errors": [{"message": "Validation aborted."}]}
    assert error_records(caplog) == []


async def test_a_deep_field_at_the_end_of_a_fragment_chain_counts(app_with, make_settings):
    chain = " ".join(f"fragment C{n} on ProductConnection {{ ...C{n + 1} }}" for n in range(50))
    query = (
        f"query Deep {{ products {{ ...C0 }} }} {chain}"
        " fragment C50 on ProductConnection { edges { node { price { amount } } } }"
    )
    async with app_with(make_settings(max_query_depth=3)) as http:
        body = (await post(http, query)).json()

    assert body["data"] is None
    assert error_messages(body) == ["'Deep' exceeds maximum operation depth of 3"]


async def test_fragments_that_spread_each_other_are_refused_as_a_cycle(client, caplog):
    query = "query Q { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"

    body = (await post(client, query)).json()

    assert body["data"] is None
    assert error_messages(body) == ["Cannot spread fragment 'A' within itself via 'B'."]
    assert error_records(caplog) == []


async def test_each_app_keeps_its_own_limits_although_the_caches_are_shared(
    client, app_with, make_settings
):
    """Parser and validation caches are process-wide: a query accepted by one schema must
    not be served from the cache to a stricter one, nor a refusal to a laxer one."""
    assert "errors" not in (await post(client, DEPTH_4_QUERY)).json()

    async with app_with(make_settings(max_query_depth=3)) as strict:
        for _ in range(2):
            assert error_messages((await post(strict, DEPTH_4_QUERY)).json()) == [
                "'anonymous' exceeds maximum operation depth of 3"
            ]
        assert "errors" not in (await post(strict, DEPTH_3_QUERY)).json()
    async with app_with(make_settings(max_tokens=10)) as short:
        assert error_messages((await post(short, DEPTH_3_QUERY)).json()) == [
            "Syntax Error: Document contains more than 10 tokens. Parsing aborted."
        ]

    body = without_cost((await post(client, DEPTH_4_QUERY)).json())
    assert body == {"data": {"products": {"edges": []}}}
    body = without_cost((await post(client, DEPTH_3_QUERY)).json())
    assert body == {"data": {"products": {"edges": []}}}


async def test_introspection_query_of_graphiql_passes_the_default_limits(client):
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    body = (await post(client, query)).json()

    assert "errors" not in body, body["errors"]
    assert body["data"]["__schema"]["queryType"] == {"name": "Query", "kind": "OBJECT"}


# --- aliases -----------------------------------------------------------------------------


def aliased_product_lookups(count: int) -> str:
    return "{ " + " ".join(f'p{i}: product(sku: "SKU-A{i}") {{ sku }}' for i in range(count)) + " }"


async def test_thirty_aliases_are_accepted(db, client):
    await db.products.insert_many([product_document(sku=f"SKU-A{i}") for i in range(30)])

    body = without_cost((await post(client, aliased_product_lookups(30))).json())

    assert body == {"data": {f"p{i}": {"sku": f"SKU-A{i}"} for i in range(30)}}


async def test_thirty_one_aliases_are_refused_with_a_clear_message(db, client, command_log):
    await db.products.insert_many([product_document(sku=f"SKU-A{i}") for i in range(31)])
    command_log.clear()

    body = (await post(client, aliased_product_lookups(31))).json()

    assert body == {"data": None, "errors": [{"message": "31 aliases found. Allowed: 30"}]}
    assert command_log.named("find", "products") == []


async def test_aliases_in_a_fragment_count_once_per_use(client):
    fragment_fields = " ".join(f"f{i}: sku" for i in range(15))
    query = (
        '{ a: product(sku: "X") { ...Many } b: product(sku: "Y") { ...Many } }'
        f" fragment Many on Product {{ {fragment_fields} }}"
    )

    body = (await post(client, query)).json()

    assert body["data"] is None
    assert error_messages(body) == ["32 aliases found. Allowed: 30"]


# --- tokens ------------------------------------------------------------------------------


async def test_token_limit_refuses_a_long_query_with_a_clear_message(client):
    tags = ", ".join(f'"tag{i}"' for i in range(2000))
    query = f"{{ products(filter: {{tags: [{tags}]}}) {{ totalCount }} }}"

    response = await post(client, query)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert error_messages(body) == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    ]


async def test_token_limit_is_exact(app_with, make_settings):
    # `{`, eight `__typename` and `}`: ten tokens.
    at_limit = "{ " + "__typename " * 8 + "}"
    over_limit = "{ " + "__typename " * 9 + "}"

    async with app_with(make_settings(max_tokens=10)) as http:
        accepted = without_cost((await post(http, at_limit)).json())
        refused = (await post(http, over_limit)).json()

    assert accepted == {"data": {"__typename": "Query"}}
    assert refused["data"] is None
    assert error_messages(refused) == [
        "Syntax Error: Document contains more than 10 tokens. Parsing aborted."
    ]


# --- body size ---------------------------------------------------------------------------

MAX_BODY_BYTES = 100_000
COUNT_QUERY = "{ products { totalCount } }"


def body_of_size(size: int) -> bytes:
    """A valid GraphQL request of exactly `size` bytes, padded in `extensions`."""

    def encode(padding: str) -> bytes:
        return json.dumps({"query": COUNT_QUERY, "extensions": {"padding": padding}}).encode()

    body = encode("x" * (size - len(encode(""))))
    assert len(body) == size
    return body


class ChunkedBody:
    """A request body httpx streams without Content-Length; counts what the server read."""

    def __init__(self, body: bytes, chunk_size: int = 8192) -> None:
        self.body = body
        self.chunk_size = chunk_size
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), self.chunk_size):
            chunk = self.body[start : start + self.chunk_size]
            self.sent += len(chunk)
            yield chunk


JSON_HEADERS = {"content-type": "application/json"}
TOO_LARGE = f"Request body too large: the limit is {MAX_BODY_BYTES} bytes."


async def test_body_over_the_limit_with_content_length_gets_413(http):
    response = await http.post(
        "/graphql", content=body_of_size(MAX_BODY_BYTES + 1), headers=JSON_HEADERS
    )

    assert response.request.headers["content-length"] == str(MAX_BODY_BYTES + 1)
    assert response.status_code == 413
    assert response.text == TOO_LARGE


async def test_a_declared_over_size_body_is_refused_before_any_of_it_is_read(http):
    streamed = ChunkedBody(body_of_size(MAX_BODY_BYTES + 1))

    response = await http.post(
        "/graphql",
        content=streamed,
        headers={**JSON_HEADERS, "content-length": str(MAX_BODY_BYTES + 1)},
    )

    assert "transfer-encoding" not in response.request.headers
    assert response.status_code == 413
    assert response.text == TOO_LARGE
    assert streamed.sent == 0


async def test_chunked_body_over_the_limit_gets_413_without_being_read_whole(http):
    streamed = ChunkedBody(body_of_size(3 * MAX_BODY_BYTES))

    response = await http.post("/graphql", content=streamed, headers=JSON_HEADERS)

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert response.text == TOO_LARGE
    assert streamed.sent <= MAX_BODY_BYTES + streamed.chunk_size


async def test_a_client_that_hangs_up_mid_body_is_no_server_error(make_settings, caplog):
    async with live_server(make_settings()) as (_, url):
        port = int(url.split(":")[2].split("/")[0])
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"query":'
        )
        await writer.drain()
        await asyncio.sleep(0.2)  # the app is waiting for the rest of the body
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.3)

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_at_the_limit_still_works(db, http, chunked):
    await db.products.insert_one(product_document())
    body = body_of_size(MAX_BODY_BYTES)

    response = await http.post(
        "/graphql", content=ChunkedBody(body) if chunked else body, headers=JSON_HEADERS
    )

    assert response.status_code == 200
    assert without_cost(response.json()) == {"data": {"products": {"totalCount": 1}}}


# --- error masking -----------------------------------------------------------------------

# (document overrides, selection, exception the resolver raises or None when graphql-core
# itself turns the value down). Values hold "SECRET" so that a leak shows.
BROKEN_DOCUMENTS = {
    "price-is-a-string": ({"price": "free SECRET"}, "price { amount }", decimal.InvalidOperation),
    "sku-missing": ({"sku": None}, "sku", KeyError),
    "name-is-null": ({"name": None}, "name", TypeError),
    "stock-is-null": ({"stock": None}, "inStock", TypeError),
    "created-at-is-a-string": ({"createdAt": "SECRET yesterday"}, "createdAt", AttributeError),
    "stock-is-a-string": ({"stock": "SECRET many"}, "stock", None),
    "tag-is-an-object": ({"tags": ["sale", {"internal": "SECRET"}]}, "tags", None),
}


def broken_product(sku: str, overrides: dict[str, Any]) -> dict[str, Any]:
    document = product_document(**{"sku": sku, **overrides})
    if document["sku"] is None:
        del document["sku"]
    return document


@pytest.mark.parametrize(
    ("overrides", "selection", "raised"),
    list(BROKEN_DOCUMENTS.values()),
    ids=list(BROKEN_DOCUMENTS),
)
async def test_unexpected_error_is_masked_and_logged_with_the_request_id(
    db, client, caplog, overrides, selection, raised
):
    document = broken_product("BROKEN-1", overrides)
    await db.products.insert_one(document)
    query = f'{{ product(id: "{global_id("Product", document["_id"])}") {{ {selection} }} }}'
    caplog.set_level(logging.DEBUG, logger="shopgraph.errors")

    response = await post(client, query)

    request_id = response.headers["X-Request-ID"]
    assert GENERATED_REQUEST_ID.match(request_id)
    body = response.json()
    field = selection.split()[0]
    assert body["data"] == {"product": None}
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["message"] == GENERIC_MESSAGE
    assert error["path"][:2] == ["product", field]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert set(error) <= {"message", "locations", "path", "extensions"}
    for leak in ("SECRET", "Traceback", "Error", "cannot represent", "'sku'"):
        assert leak not in response.text

    [record] = error_records(caplog)
    assert request_id in record.getMessage()
    assert record.exc_info is not None
    if raised is not None:
        assert issubclass(record.exc_info[0], raised)


async def test_a_broken_product_in_a_list_nulls_the_list_up_to_the_root_and_is_masked(
    db, client, caplog
):
    documents = [
        product_document(sku="OK-1"),
        product_document(sku="BROKEN-1", price="free"),
        product_document(sku="OK-2"),
    ]
    await db.products.insert_many(documents)
    caplog.set_level(logging.DEBUG, logger="shopgraph.errors")

    response = await post(client, "{ products { edges { node { sku price { amount } } } } }")

    request_id = response.headers["X-Request-ID"]
    # Newest first: BROKEN-1 is the second edge. Product.price, node, the edge list and
    # Query.products are all non-null, so the null reaches `data`.
    assert without_cost(response.json()) == {
        "data": None,
        "errors": [
            {
                "message": GENERIC_MESSAGE,
                "locations": [{"line": 1, "column": 33}],
                "path": ["products", "edges", 1, "node", "price"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ],
    }
    [record] = error_records(caplog)
    assert request_id in record.getMessage()
    assert "products.edges.1.node.price" in record.getMessage()


async def test_fields_that_are_not_broken_still_list_every_product(db, client):
    await db.products.insert_many(
        [
            product_document(sku="OK-1"),
            product_document(sku="BROKEN-1", price="free"),
            product_document(sku="OK-2"),
        ]
    )

    body = without_cost((await post(client, "{ products { edges { node { sku } } } }")).json())

    assert body == {
        "data": {
            "products": {
                "edges": [
                    {"node": {"sku": "OK-2"}},
                    {"node": {"sku": "BROKEN-1"}},
                    {"node": {"sku": "OK-1"}},
                ]
            }
        }
    }


async def test_a_broken_product_does_not_affect_a_sibling_lookup(db, client):
    await db.products.insert_many(
        [product_document(sku="OK-1", price=1250), product_document(sku="BROKEN-1", price="free")]
    )

    response = await post(
        client,
        '{ ok: product(sku: "OK-1") { sku price { amount } }'
        ' broken: product(sku: "BROKEN-1") { sku price { amount } } }',
    )

    body = response.json()
    assert body["data"] == {"ok": {"sku": "OK-1", "price": {"amount": "12.50"}}, "broken": None}
    assert [(e["message"], e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (GENERIC_MESSAGE, ["broken", "price"], "INTERNAL_SERVER_ERROR")
    ]


@pytest.mark.parametrize("given", ["abcd1234", "trace.id_7-Z", "x" * 64])
async def test_a_sane_client_request_id_is_reused_in_header_error_and_log(
    db, client, caplog, given
):
    await db.products.insert_one(product_document(sku="BROKEN-1", price="free"))
    caplog.set_level(logging.DEBUG, logger="shopgraph.errors")

    response = await post(
        client, '{ product(sku: "BROKEN-1") { price { amount } } }', headers={"X-Request-ID": given}
    )

    assert response.headers["X-Request-ID"] == given
    assert response.json()["errors"][0]["extensions"]["requestId"] == given
    [record] = error_records(caplog)
    assert given in record.getMessage()


@pytest.mark.parametrize(
    "given",
    ["short", "x" * 65, "has spaces in it", "<script>alert(1)</script>", "id;rm -rf /"],
    ids=["too-short", "too-long", "spaces", "markup", "punctuation"],
)
async def test_an_unsafe_client_request_id_is_replaced(db, client, caplog, given):
    await db.products.insert_one(product_document(sku="BROKEN-1", price="free"))
    caplog.set_level(logging.DEBUG, logger="shopgraph.errors")

    response = await post(
        client, '{ product(sku: "BROKEN-1") { price { amount } } }', headers={"X-Request-ID": given}
    )

    request_id = response.headers["X-Request-ID"]
    assert GENERATED_REQUEST_ID.match(request_id)
    assert response.json()["errors"][0]["extensions"]["requestId"] == request_id
    [record] = error_records(caplog)
    assert request_id in record.getMessage()
    assert given not in record.getMessage()


async def test_every_request_gets_its_own_request_id(client):
    first = await post(client, COUNT_QUERY)
    second = await post(client, COUNT_QUERY)

    assert first.status_code == second.status_code == 200
    assert GENERATED_REQUEST_ID.match(first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


# --- errors written for the client -------------------------------------------------------

CLIENT_ERRORS = {
    "unknown-field": (
        "{ products { nope } }",
        None,
        "Cannot query field 'nope' on type 'ProductConnection'.",
        None,
    ),
    "syntax": ("{ products { ", None, "Syntax Error: Expected Name, found <EOF>.", None),
    "variable-type": (
        "query ($first: Int) { products(first: $first) { totalCount } }",
        {"first": "abc"},
        "Variable '$first' has invalid value: Int cannot represent non-integer value: 'abc'",
        None,
    ),
    "undefined-variable": (
        "{ products(first: $first) { totalCount } }",
        None,
        "Variable '$first' is not defined.",
        None,
    ),
    "page-size": (
        "{ products(first: 0) { totalCount } }",
        None,
        "`first` must be between 1 and 100; got 0.",
        "BAD_USER_INPUT",
    ),
    "id-and-sku": (
        '{ product(id: "UHJvZHVjdDox", sku: "MUG-1") { sku } }',
        None,
        "Give exactly one of `id` or `sku`.",
        "BAD_USER_INPUT",
    ),
    "bad-global-id": (
        '{ product(id: "garbage") { sku } }',
        None,
        "Invalid Product ID: not a global ID.",
        "BAD_USER_INPUT",
    ),
    "admin-filter": (
        "{ products(filter: {includeInactive: true}) { totalCount } }",
        None,
        "Log in to do this.",
        "UNAUTHENTICATED",
    ),
}


@pytest.mark.parametrize(
    ("query", "variables", "message", "code"),
    list(CLIENT_ERRORS.values()),
    ids=list(CLIENT_ERRORS),
)
async def test_client_errors_keep_their_message_and_are_not_logged_as_errors(
    client, caplog, query, variables, message, code
):
    caplog.set_level(logging.DEBUG, logger="shopgraph.errors")

    response = await post(client, query, variables)

    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["message"] == message
    if code is None:
        assert "extensions" not in error
    else:
        assert error["extensions"] == {"code": code}
    assert error_records(caplog) == []


# --- bad HTTP input ----------------------------------------------------------------------


async def test_malformed_json_gets_400_with_a_clear_message(http):
    response = await http.post("/graphql", content=b'{"query": "{ x }"', headers=JSON_HEADERS)

    assert response.status_code == 400
    assert response.text == "Unable to parse request body as JSON"


@pytest.mark.parametrize(
    "body",
    [b"null", b"1", b"true", b'"{ products { totalCount } }"', b"[]", b'[{"query": "{ a }"}]'],
    ids=["null", "number", "boolean", "string", "empty-array", "batch"],
)
async def test_json_that_is_not_an_object_gets_400(http, body):
    response = await http.post("/graphql", content=body, headers=JSON_HEADERS)

    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "No GraphQL query found in the request"),
        ({"variables": {}}, "No GraphQL query found in the request"),
        ({"query": 5}, "The GraphQL operation's `query` must be a string or null, if provided."),
        (
            {"query": COUNT_QUERY, "variables": "first=1"},
            "The GraphQL operation's `variables` must be an object or null, if provided.",
        ),
    ],
    ids=["empty", "no-query", "query-not-a-string", "variables-not-an-object"],
)
async def test_an_object_without_a_usable_query_gets_400(http, payload, message):
    response = await http.post("/graphql", json=payload)

    assert response.status_code == 400
    assert response.text == message


@pytest.mark.parametrize("name", ["variables", "extensions"])
async def test_malformed_json_in_the_query_string_gets_400_naming_the_parameter(http, name):
    response = await http.get(
        "/graphql", params={"query": "{ products { totalCount } }", name: "{n: 1"}
    )

    assert response.status_code == 400
    assert response.text == f"Unable to parse `{name}` in the query string as JSON"


@pytest.mark.parametrize(
    ("method", "accept"),
    [
        ("POST", "application/json"),
        ("GET", "application/json"),
        ("POST", 'multipart/mixed;subscriptionSpec="1.0", application/json'),
    ],
    ids=["post", "get", "post-multipart"],
)
async def test_a_subscription_over_http_is_pointed_to_the_websocket(http, caplog, method, accept):
    query = "subscription { stockUpdated { stock } }"
    if method == "GET":
        response = await http.get("/graphql", params={"query": query}, headers={"accept": accept})
    else:
        response = await http.post("/graphql", json={"query": query}, headers={"accept": accept})

    assert without_cost(response.json()) == {
        "data": None,
        "errors": [
            {
                "message": "Subscriptions are served over WebSocket at /graphql "
                "(graphql-transport-ws or graphql-ws), not over HTTP.",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ],
    }
    assert error_records(caplog) == []


async def test_query_over_get_works(db, http):
    await db.products.insert_many([product_document(), product_document()])

    response = await http.get(
        "/graphql",
        params={
            "query": "query ($n: Int) { products(first: $n) { totalCount edges { cursor } } }",
            "variables": json.dumps({"n": 1}),
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["data"]["products"]["totalCount"] == 2
    assert len(body["data"]["products"]["edges"]) == 1
    assert GENERATED_REQUEST_ID.match(response.headers["X-Request-ID"])


@pytest.mark.parametrize(
    "query", ["mutation { __typename }", "mutation Rename { renameProduct }"], ids=str
)
async def test_mutation_over_get_gets_405(http, query):
    """GraphQL over HTTP: a mutation sent with GET must get 405 Method Not Allowed."""
    response = await http.get("/graphql", params={"query": query})

    assert response.status_code == 405, (response.status_code, response.text)


async def test_mutation_over_post_is_executed(http):
    response = await post(http, "mutation { __typename }")

    assert response.status_code == 200
    assert without_cost(response.json()) == {"data": {"__typename": "Mutation"}}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        None,
    ],
)
async def test_unsupported_content_type_gets_4xx(http, content_type):
    headers = {"content-type": content_type} if content_type else {}

    response = await http.post(
        "/graphql", content=json.dumps({"query": COUNT_QUERY}).encode(), headers=headers
    )

    assert response.status_code in (400, 415)
    assert response.text == "Unsupported content type"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_get_405(http, method):
    response = await http.request(method, "/graphql", json={"query": COUNT_QUERY})

    assert response.status_code == 405
