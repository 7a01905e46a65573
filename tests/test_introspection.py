"""Introspection is on in development and off in production unless
SHOPGRAPH_INTROSPECTION=true: a production API does not hand out its map, while
`__typename`, which clients need to tell types apart, keeps working."""

from tests.conftest import graphql

SCHEMA_TYPES = "{ __schema { types { name } } }"
ONE_TYPE = '{ __type(name: "Product") { name } }'
DISABLED = "GraphQL introspection has been disabled, but the requested query contained the field"


def production(make_settings, **overrides):
    return make_settings(environment="production", allow_test_gateway=True, **overrides)


async def test_production_refuses_introspection_and_names_the_field(app_with, make_settings):
    async with app_with(production(make_settings)) as http:
        schema = await graphql(http, SCHEMA_TYPES)
        one_type = await graphql(http, ONE_TYPE)

    assert schema["data"] is None
    assert schema["errors"][0]["message"] == f"{DISABLED} '__schema'."
    assert one_type["data"] is None
    assert [error["message"] for error in one_type["errors"]] == [f"{DISABLED} '__type'."]


async def test_production_still_answers_typename(app_with, make_settings):
    async with app_with(production(make_settings)) as http:
        body = await graphql(http, "{ __typename products(first: 1) { __typename } }")

    assert body == {
        "data": {"__typename": "Query", "products": {"__typename": "ProductConnection"}}
    }


async def test_development_answers_introspection(gql):
    body = await gql(SCHEMA_TYPES)

    assert "errors" not in body, body
    assert "Product" in {kind["name"] for kind in body["data"]["__schema"]["types"]}


async def test_production_answers_introspection_when_asked_to(app_with, make_settings):
    async with app_with(production(make_settings, introspection=True)) as http:
        schema = await graphql(http, SCHEMA_TYPES)
        one_type = await graphql(http, ONE_TYPE)

    assert "errors" not in schema, schema
    assert "Product" in {kind["name"] for kind in schema["data"]["__schema"]["types"]}
    assert one_type == {"data": {"__type": {"name": "Product"}}}
