"""The query cost limit through the real app: costly operations are refused before they
run, on every transport, and every priced answer says what it cost in `extensions.cost`."""

import asyncio
import json
import re
import textwrap
from typing import Any

import pytest
from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import PROJECT_ROOT, live_server
from tests.factories import paid_order_document
from tests.helpers import (
    LEGACY_WS,
    TRANSPORT_WS,
    add_products,
    bearer,
    gid,
    post,
    subscribe_message,
)

LIMIT = 10_000
ATTACK_FIELD = (
    "orders(first: 100) { edges { node { user { orders(first: 100) "
    "{ edges { node { items { product { name } } } } } } } } }"
)
ATTACK_COST = 1_520_602  # see test_query_cost_model
PAGE = "query Page($n: Int) { products(first: $n) { edges { node { sku price { amount } } } } }"


def page_cost(size: int) -> int:
    return 2 + size * 3  # products, then per edge: the edge, its node, the price


def assert_too_costly(body: dict[str, Any], cost: int, limit: int = LIMIT) -> None:
    """Refused as a whole, with the cost and the limit in the message and the extensions."""
    report = {"requestedQueryCost": cost, "maximumAvailable": limit}
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "cost": report}, error
    assert str(cost) in error["message"] and str(limit) in error["message"], error
    assert "path" not in error, error
    assert body["extensions"] == {"cost": report}, body


# --- refused before it runs --------------------------------------------------------------


@pytest.mark.parametrize("aliases", [1, 3])
async def test_the_nested_orders_attack_is_refused_without_touching_the_database(
    db, client, command_log, customer, aliases
):
    [product] = await add_products(db)
    await db.orders.insert_many([paid_order_document(customer.id, product, n) for n in range(3)])
    query = "{ " + " ".join(f"a{n}: {ATTACK_FIELD}" for n in range(aliases)) + " }"

    command_log.clear()
    response = await post(client, query, headers=customer.headers)

    assert response.status_code == 200
    assert_too_costly(response.json(), aliases * ATTACK_COST)
    assert command_log.commands == []


async def test_the_attack_hidden_in_fragments_is_refused(client, customer):
    query = """query { ...Orders }
      fragment Orders on Query { orders(first: 100) { edges { node { ...Buyer } } } }
      fragment Buyer on Order { user { orders(first: 100) { ...Lines } } }
      fragment Lines on OrderConnection { edges { node { items { product { name } } } } }"""

    response = await post(client, query, headers=customer.headers)

    assert_too_costly(response.json(), ATTACK_COST)


async def test_page_sizes_from_variables_are_priced(client):
    response = await post(client, PAGE, {"n": 100}, headers=None)
    assert response.json()["extensions"]["cost"]["requestedQueryCost"] == page_cost(100)

    response = await post(client, PAGE, {"n": 3})
    assert response.json()["extensions"]["cost"]["requestedQueryCost"] == page_cost(3)


async def test_the_limit_follows_the_setting_and_the_limit_itself_passes(
    db, app_with, make_settings
):
    await add_products(db, 3)
    limit = page_cost(16)

    async with app_with(make_settings(max_query_cost=limit)) as http:
        at_limit = (await post(http, PAGE, {"n": 16})).json()
        over = (await post(http, PAGE, {"n": 17})).json()
        by_default = (await post(http, PAGE, {})).json()  # the default page of 20

    assert "errors" not in at_limit, at_limit
    assert len(at_limit["data"]["products"]["edges"]) == 3
    assert at_limit["extensions"] == {
        "cost": {"requestedQueryCost": limit, "maximumAvailable": limit}
    }
    assert_too_costly(over, page_cost(17), limit)
    assert_too_costly(by_default, page_cost(20), limit)


async def test_a_costly_mutation_changes_nothing(db, app_with, make_settings, customer):
    [product] = await add_products(db, stock=5)
    mutation = """mutation Place($id: ID!) {
      placeOrder(input: {items: [{productId: $id, quantity: 1}]}) {
        order { items { product { name } } } userErrors { code }
      }
    }"""
    async with app_with(make_settings(max_query_cost=100)) as http:
        response = await post(http, mutation, {"id": gid(product)}, customer.headers)

    # placeOrder 10, the order 1, 50 lines x (line 1 + product 2), 50 userErrors
    assert_too_costly(response.json(), 10 + 1 + 50 * 3 + 50, 100)
    assert await db.orders.count_documents({}) == 0
    assert (await db.products.find_one({"_id": product["_id"]}))["stock"] == 5


async def test_an_invalid_document_is_reported_as_invalid_and_not_priced(client, customer):
    query = "{ orders(first: 100) { edges { node { user { orders(first: 100) { nope } } } } } }"

    body = (await post(client, query, headers=customer.headers)).json()

    [error] = body["errors"]
    assert "Cannot query field 'nope'" in error["message"], error
    assert "extensions" not in body, body


async def test_a_variable_of_the_wrong_type_is_reported_as_such(client):
    body = (await post(client, PAGE, {"n": "many"})).json()

    [error] = body["errors"]
    assert "$n" in error["message"] and "cost" not in error["message"], error
    assert body["data"] is None


# --- what a successful query cost ----------------------------------------------------------


async def test_a_query_over_post_reports_its_cost(db, client):
    await add_products(db, 2)

    body = (await post(client, PAGE, {"n": 2})).json()

    assert len(body["data"]["products"]["edges"]) == 2
    assert body["extensions"] == {
        "cost": {"requestedQueryCost": page_cost(2), "maximumAvailable": LIMIT}
    }


async def test_a_query_over_get_reports_its_cost_and_is_limited_alike(db, client, customer):
    await add_products(db, 2)

    fine = await client.get("/graphql", params={"query": PAGE, "variables": '{"n": 5}'})
    costly = await client.get(
        "/graphql", params={"query": "{" + ATTACK_FIELD + "}"}, headers=customer.headers
    )

    assert fine.status_code == 200
    assert fine.json()["extensions"]["cost"] == {
        "requestedQueryCost": page_cost(5),
        "maximumAvailable": LIMIT,
    }
    assert_too_costly(costly.json(), ATTACK_COST)


# --- over WebSocket -------------------------------------------------------------------------


async def opened(url: str, protocol: str) -> ClientConnection:
    ws = await connect(url, subprotocols=[protocol], open_timeout=5)
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
    return ws


async def reply(ws: ClientConnection, seconds: float = 5) -> dict[str, Any]:
    """The next message that is not a keep-alive."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), seconds))
        if message["type"] not in ("ka", "ping", "pong"):
            return message


async def first_event(db, ws: ClientConnection, product: dict[str, Any]) -> dict[str, Any]:
    """Changes the product's stock until a subscription on `ws` answers (it goes live a
    moment after it is accepted)."""
    for stock in range(1000, 1100):
        await db.products.update_one({"_id": product["_id"]}, {"$set": {"stock": stock}})
        try:
            return await reply(ws, seconds=0.5)
        except TimeoutError:
            continue
    raise AssertionError("the subscription never answered")


COSTLY_SUBSCRIPTION = "subscription { stockUpdated { stock product { sku price { amount } } } }"
SUBSCRIPTION = "subscription { stockUpdated { stock product { sku } } }"


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_costly_subscription_is_refused_and_the_socket_goes_on(db, make_settings, protocol):
    [product] = await add_products(db, stock=10)
    # stockUpdated 2, the product 1, its price 1
    async with live_server(make_settings(max_query_cost=3)) as (_, url):
        ws = await opened(url, protocol)
        try:
            costly = subscribe_message("1", {"query": COSTLY_SUBSCRIPTION}, protocol)
            await ws.send(json.dumps(costly))
            refused = await reply(ws)
            await ws.send(json.dumps(subscribe_message("2", {"query": SUBSCRIPTION}, protocol)))
            event = await first_event(db, ws, product)
        finally:
            await ws.close()

    assert refused["type"] == "error" and refused["id"] == "1", refused
    errors = refused["payload"] if protocol == TRANSPORT_WS else [refused["payload"]]
    [error] = errors
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "cost": {"requestedQueryCost": 4, "maximumAvailable": 3},
    }
    assert event["id"] == "2" and event["type"] in ("next", "data"), event
    assert event["payload"]["data"]["stockUpdated"]["product"] == {"sku": product["sku"]}


async def test_each_subscription_event_reports_its_cost(db, make_settings):
    [product] = await add_products(db, stock=10)
    async with live_server(make_settings()) as (_, url):
        ws = await opened(url, TRANSPORT_WS)
        try:
            await ws.send(json.dumps(subscribe_message("1", {"query": SUBSCRIPTION}, TRANSPORT_WS)))
            event = await first_event(db, ws, product)
        finally:
            await ws.close()

    assert event["type"] == "next", event
    assert event["payload"]["extensions"] == {
        "cost": {"requestedQueryCost": 2 + 1, "maximumAvailable": LIMIT}
    }


async def test_a_query_over_websocket_reports_its_cost(make_settings):
    async with live_server(make_settings()) as (_, url):
        ws = await opened(url, TRANSPORT_WS)
        try:
            query = subscribe_message("1", {"query": "{ me { name } }"}, TRANSPORT_WS)
            await ws.send(json.dumps(query))
            answer = await reply(ws)
        finally:
            await ws.close()

    assert answer["type"] == "next", answer
    assert answer["payload"] == {
        "data": {"me": None},
        "extensions": {"cost": {"requestedQueryCost": 2, "maximumAvailable": LIMIT}},
    }


# --- every query the README and the docs show passes -----------------------------------------


def readme_operations(readme: str) -> list[str]:
    """The GraphQL operations in the documentation: ```graphql blocks (indented in lists
    too), queries inside the curl, JS and Python examples, and inline code that parses as
    an operation."""
    found = [textwrap.dedent(block) for block in re.findall(r"```graphql\n(.*?)```", readme, re.S)]
    found += [json.loads(f'"{q}"') for q in re.findall(r'"query":\s*"((?:[^"\\]|\\.)*)"', readme)]
    found += re.findall(r"query:\s*'([^']*)'", readme)
    found += re.findall(r'gql\("([^"]*)"\)', readme)
    found += re.findall(r"`(\{ [^`]*\})`", readme)
    operations = []
    for text in dict.fromkeys(found):
        try:
            document = parse(text)
        except GraphQLSyntaxError:
            continue
        if all(isinstance(d, OperationDefinitionNode) for d in document.definitions):
            operations.append(text)
    return operations


# The README and every page under docs/.
README = "\n".join(
    path.read_text()
    for path in [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").rglob("*.md"))]
)
README_OPERATIONS = readme_operations(README)
# The "Query cost" section's table: | `operation` | cost |
COST_ROW = re.compile(r"^\| `(\{.*\})` \| (\d+) \|$", re.M)
README_COSTS = {operation: int(cost) for operation, cost in COST_ROW.findall(README)}


def test_the_readme_examples_are_found():
    assert len(README_OPERATIONS) >= 12
    assert any(op.lstrip().startswith("subscription") for op in README_OPERATIONS)
    assert any("placeOrder" in op for op in README_OPERATIONS)
    assert len(README_COSTS) >= 5 and set(README_COSTS) <= set(README_OPERATIONS)


@pytest.mark.parametrize("operation", README_OPERATIONS, ids=range(len(README_OPERATIONS)))
async def test_every_query_in_the_readme_costs_what_it_says(client, admin, operation):
    """Within the default limit, except the attack the README shows refused; and the cost
    table's numbers are the ones the server reports."""
    response = await post(client, operation, headers=bearer(admin.access_token))

    body = response.json()
    cost = body["extensions"]["cost"]
    stated = README_COSTS.get(operation)
    if stated is not None:
        assert cost["requestedQueryCost"] == stated, operation
    if stated is not None and stated > LIMIT:
        assert_too_costly(body, stated)
        return
    assert cost == {"requestedQueryCost": cost["requestedQueryCost"], "maximumAvailable": LIMIT}
    assert cost["requestedQueryCost"] <= LIMIT, operation
    assert all("cost" not in (e.get("extensions") or {}) for e in body.get("errors", [])), body
