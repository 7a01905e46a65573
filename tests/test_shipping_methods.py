"""Shipping methods: admins create, change, list and delete them; each field's limits; who
may; `node(id)`; the bound on how many exist; and the service a cart asks for the methods
of a country and their price."""

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.checkout.shipping_methods import (
    MAX_SHIPPING_METHODS,
    ShippingMethod,
    ShippingMethods,
)
from shopgraph.checkout.shipping_rules import ShippingMethodFields
from shopgraph.countries import COUNTRIES
from shopgraph.datasources.client import Datasources
from tests.factories import global_id, object_id_of
from tests.helpers import assert_refused, error, without_messages

FIELDS = """id name description price { amount currency } countries
  freeOverSubtotal { amount currency } minDeliveryDays maxDeliveryDays active"""
CREATE = f"""mutation Create($input: ShippingMethodInput!) {{
  createShippingMethod(input: $input) {{
    shippingMethod {{ {FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
UPDATE = f"""mutation Update($id: ID!, $input: ShippingMethodInput!) {{
  updateShippingMethod(id: $id, input: $input) {{
    shippingMethod {{ {FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
DELETE = """mutation Delete($id: ID!) {
  deleteShippingMethod(id: $id) { deletedId userErrors { field message code } }
}"""
LIST = f"query {{ shippingMethods {{ {FIELDS} }} }}"
NODE = """query Node($id: ID!) {
  node(id: $id) { id ... on ShippingMethod { name active } }
}"""
STANDARD = {"name": "Standard", "price": "4.90", "countries": ["US", "CA"]}


async def create(as_admin, **fields: Any) -> dict[str, Any]:
    return (await as_admin(CREATE, {"input": {**STANDARD, **fields}}))["createShippingMethod"]


async def created_id(as_admin, **fields: Any) -> str:
    payload = await create(as_admin, **fields)
    assert payload["userErrors"] == [], payload
    return payload["shippingMethod"]["id"]


async def update(as_admin, method_id: str, **fields: Any) -> dict[str, Any]:
    variables = {"id": method_id, "input": fields}
    return (await as_admin(UPDATE, variables))["updateShippingMethod"]


@pytest.fixture
def service(db) -> ShippingMethods:
    return ShippingMethods(Datasources.for_database(db).shipping_methods, "USD")


# --- creating ----------------------------------------------------------------------------


async def test_create_with_the_required_fields_takes_the_defaults(db, as_admin):
    payload = await create(as_admin)

    assert payload["userErrors"] == []
    document = await db.shipping_methods.find_one({})
    assert payload["shippingMethod"] == {
        "id": global_id("ShippingMethod", document["_id"]),
        "name": "Standard",
        "description": "",
        "price": {"amount": "4.90", "currency": "USD"},
        "countries": ["US", "CA"],
        "freeOverSubtotal": None,
        "minDeliveryDays": None,
        "maxDeliveryDays": None,
        "active": True,
    }
    assert document == {
        "_id": document["_id"],
        "name": "Standard",
        "description": "",
        "price": 490,
        "countries": ["US", "CA"],
        "freeOverSubtotal": None,
        "minDeliveryDays": None,
        "maxDeliveryDays": None,
        "active": True,
    }


async def test_create_with_every_field_normalises_names_and_country_codes(db, as_admin):
    payload = await create(
        as_admin,
        name="  Express  ",
        description="Next day, before noon.",
        price=12.5,
        countries=[" de", "Fr "],
        freeOverSubtotal="100",
        minDeliveryDays=1,
        maxDeliveryDays=1,
        active=False,
    )

    assert payload["userErrors"] == []
    method = payload["shippingMethod"]
    assert (method["name"], method["countries"], method["active"]) == (
        "Express",
        ["DE", "FR"],
        False,
    )
    assert method["price"] == {"amount": "12.50", "currency": "USD"}
    assert method["freeOverSubtotal"] == {"amount": "100.00", "currency": "USD"}
    assert (method["minDeliveryDays"], method["maxDeliveryDays"]) == (1, 1)
    document = await db.shipping_methods.find_one({})
    assert (document["price"], document["freeOverSubtotal"]) == (1250, 10000)
    assert document["countries"] == ["DE", "FR"]


async def test_every_country_at_once_is_allowed(as_admin):
    payload = await create(as_admin, countries=sorted(COUNTRIES))

    assert payload["userErrors"] == []
    assert len(payload["shippingMethod"]["countries"]) == 249


LONG = "x" * 101
REFUSED_FIELDS = [
    ("name", ""),
    ("name", "   "),
    ("name", LONG),
    ("description", "d" * 501),
    ("price", "-1"),
    ("price", "4.901"),
    ("price", "10000000000.01"),
    ("countries", []),
    ("countries", ["XX"]),
    ("countries", ["USA"]),
    ("countries", ["US", "us"]),
    ("countries", [*sorted(COUNTRIES), "US"]),
    ("freeOverSubtotal", "-0.01"),
    ("freeOverSubtotal", "0.001"),
    ("minDeliveryDays", -1),
    ("minDeliveryDays", 366),
    ("maxDeliveryDays", 400),
    ("name", None),
    ("price", None),
    ("countries", None),
    ("description", None),
    ("active", None),
]


@pytest.mark.parametrize(("field", "value"), REFUSED_FIELDS)
async def test_create_refuses_a_bad_field_naming_it_and_stores_nothing(db, as_admin, field, value):
    payload = await create(as_admin, **{field: value})

    assert payload["shippingMethod"] is None
    assert without_messages(payload["userErrors"]) == [error(["input", field], "INVALID")]
    assert await db.shipping_methods.count_documents({}) == 0


async def test_create_reports_every_problem_at_once(db, as_admin):
    payload = (
        await as_admin(
            CREATE,
            {
                "input": {
                    "description": "d" * 501,
                    "freeOverSubtotal": "-1",
                    "minDeliveryDays": 5,
                    "maxDeliveryDays": 2,
                }
            },
        )
    )["createShippingMethod"]

    assert without_messages(payload["userErrors"]) == [
        error(["input", "name"], "INVALID"),
        error(["input", "price"], "INVALID"),
        error(["input", "countries"], "INVALID"),
        error(["input", "description"], "INVALID"),
        error(["input", "freeOverSubtotal"], "INVALID"),
        error(["input", "minDeliveryDays"], "INVALID"),
    ]
    assert await db.shipping_methods.count_documents({}) == 0


async def test_messages_say_what_is_wrong(as_admin):
    payload = await create(as_admin, countries=["US", "XX", "us", "Narnia"], price="4.901")

    messages = {tuple(e["field"]): e["message"] for e in payload["userErrors"]}
    assert messages == {
        ("input", "price"): "The price has more than 2 decimals, the most USD allows.",
        ("input", "countries"): "Not ISO 3166-1 alpha-2 country codes: 'XX', 'NARNIA'.",
    }


async def test_a_store_has_at_most_the_limit_of_methods(db, as_admin, service):
    for number in range(MAX_SHIPPING_METHODS):
        fields = ShippingMethodFields(name=f"M{number}", price=Decimal(1), countries=["US"])
        await service.create(fields)

    payload = await create(as_admin)

    assert payload["shippingMethod"] is None
    [refusal] = payload["userErrors"]
    assert refusal["code"] == "INVALID" and refusal["field"] is None
    assert f"at most {MAX_SHIPPING_METHODS} shipping methods" in refusal["message"]
    assert await db.shipping_methods.count_documents({}) == MAX_SHIPPING_METHODS


async def test_racing_creations_never_exceed_the_limit(db, as_admin, service):
    for number in range(MAX_SHIPPING_METHODS - 3):
        fields = ShippingMethodFields(name=f"M{number}", price=Decimal(1), countries=["US"])
        await service.create(fields)

    payloads = await asyncio.gather(*(create(as_admin, name=f"Race {n}") for n in range(12)))

    made = [p for p in payloads if p["shippingMethod"] is not None]
    stored = await db.shipping_methods.count_documents({})
    assert 0 < stored <= MAX_SHIPPING_METHODS
    assert len(made) == stored - (MAX_SHIPPING_METHODS - 3)
    assert all(p["userErrors"][0]["code"] == "INVALID" for p in payloads if p not in made)


# --- changing and deleting ---------------------------------------------------------------


async def test_update_changes_only_the_fields_given(db, as_admin):
    method_id = await created_id(
        as_admin, description="Ground", freeOverSubtotal="50", minDeliveryDays=3, maxDeliveryDays=5
    )

    payload = await update(as_admin, method_id, price="5.50", countries=["mx"])

    assert payload["userErrors"] == []
    assert payload["shippingMethod"] == {
        "id": method_id,
        "name": "Standard",
        "description": "Ground",
        "price": {"amount": "5.50", "currency": "USD"},
        "countries": ["MX"],
        "freeOverSubtotal": {"amount": "50.00", "currency": "USD"},
        "minDeliveryDays": 3,
        "maxDeliveryDays": 5,
        "active": True,
    }
    document = await db.shipping_methods.find_one({})
    assert (document["price"], document["countries"], document["freeOverSubtotal"]) == (
        550,
        ["MX"],
        5000,
    )


async def test_update_with_null_clears_the_free_subtotal_and_the_delivery_days(db, as_admin):
    method_id = await created_id(
        as_admin, freeOverSubtotal="50", minDeliveryDays=3, maxDeliveryDays=5
    )

    payload = await update(
        as_admin, method_id, freeOverSubtotal=None, minDeliveryDays=None, maxDeliveryDays=None
    )

    method = payload["shippingMethod"]
    assert (method["freeOverSubtotal"], method["minDeliveryDays"], method["maxDeliveryDays"]) == (
        None,
        None,
        None,
    )
    document = await db.shipping_methods.find_one({})
    assert document["freeOverSubtotal"] is None and document["minDeliveryDays"] is None


async def test_update_can_deactivate_and_reactivate(db, as_admin):
    method_id = await created_id(as_admin)

    off = await update(as_admin, method_id, active=False)
    on = await update(as_admin, method_id, active=True)

    assert off["shippingMethod"]["active"] is False
    assert on["shippingMethod"]["active"] is True


async def test_update_with_nothing_given_returns_the_method_unchanged(as_admin):
    method_id = await created_id(as_admin)

    payload = await update(as_admin, method_id)

    assert payload["userErrors"] == [] and payload["shippingMethod"]["name"] == "Standard"


@pytest.mark.parametrize(
    ("stored", "change", "field"),
    [
        ({"minDeliveryDays": 3, "maxDeliveryDays": 5}, {"minDeliveryDays": 6}, "minDeliveryDays"),
        ({"minDeliveryDays": 3, "maxDeliveryDays": 5}, {"maxDeliveryDays": 2}, "maxDeliveryDays"),
        ({}, {"minDeliveryDays": 4, "maxDeliveryDays": 1}, "minDeliveryDays"),
    ],
)
async def test_update_refuses_a_minimum_above_the_maximum(db, as_admin, stored, change, field):
    method_id = await created_id(as_admin, **stored)
    before = await db.shipping_methods.find_one({})

    payload = await update(as_admin, method_id, **change)

    assert without_messages(payload["userErrors"]) == [error(["input", field], "INVALID")]
    assert await db.shipping_methods.find_one({}) == before


@pytest.mark.parametrize(("field", "value"), REFUSED_FIELDS)
async def test_update_refuses_a_bad_field_and_changes_nothing(db, as_admin, field, value):
    method_id = await created_id(as_admin)
    before = await db.shipping_methods.find_one({})

    payload = await update(as_admin, method_id, **{field: value})

    assert without_messages(payload["userErrors"]) == [error(["input", field], "INVALID")]
    assert await db.shipping_methods.find_one({}) == before


async def test_racing_updates_of_the_two_delivery_days_never_store_min_above_max(db, as_admin):
    for _ in range(5):
        method_id = await created_id(as_admin, minDeliveryDays=2, maxDeliveryDays=5)

        # Each is fine against what is stored; together they would make min 4 > max 3.
        raised, lowered = await asyncio.gather(
            update(as_admin, method_id, minDeliveryDays=4),
            update(as_admin, method_id, maxDeliveryDays=3),
        )

        document = await db.shipping_methods.find_one({"_id": object_id_of(method_id)})
        assert document["minDeliveryDays"] <= document["maxDeliveryDays"]
        refused = [p for p in (raised, lowered) if p["userErrors"]]
        assert len(refused) == 1, (raised, lowered)


async def test_update_and_delete_of_an_unknown_method_are_not_found(as_admin):
    missing = global_id("ShippingMethod", ObjectId())

    updated = await update(as_admin, missing, name="X")
    deleted = (await as_admin(DELETE, {"id": missing}))["deleteShippingMethod"]

    assert without_messages(updated["userErrors"]) == [error(["id"], "NOT_FOUND")]
    assert without_messages(deleted["userErrors"]) == [error(["id"], "NOT_FOUND")]


@pytest.mark.parametrize("bad_id", ["nonsense", global_id("Product", ObjectId())])
async def test_a_bad_id_is_invalid(as_admin, bad_id):
    updated = await update(as_admin, bad_id, name="X")
    deleted = (await as_admin(DELETE, {"id": bad_id}))["deleteShippingMethod"]

    assert without_messages(updated["userErrors"]) == [error(["id"], "INVALID")]
    assert without_messages(deleted["userErrors"]) == [error(["id"], "INVALID")]


async def test_delete_removes_the_method_once(db, as_admin):
    method_id = await created_id(as_admin)

    first = (await as_admin(DELETE, {"id": method_id}))["deleteShippingMethod"]
    again = (await as_admin(DELETE, {"id": method_id}))["deleteShippingMethod"]

    assert first == {"deletedId": method_id, "userErrors": []}
    assert await db.shipping_methods.count_documents({}) == 0
    assert without_messages(again["userErrors"]) == [error(["id"], "NOT_FOUND")]


# --- reading -----------------------------------------------------------------------------


async def test_admins_list_every_method_oldest_first(as_admin):
    first = await created_id(as_admin, name="Ground")
    second = await created_id(as_admin, name="Air", active=False)

    methods = (await as_admin(LIST))["shippingMethods"]

    assert [(m["id"], m["name"], m["active"]) for m in methods] == [
        (first, "Ground", True),
        (second, "Air", False),
    ]


async def test_node_shows_active_methods_to_everyone_and_inactive_ones_to_admins(
    gql, as_admin, customer, admin
):
    active = await created_id(as_admin, name="Ground")
    inactive = await created_id(as_admin, name="Air", active=False)

    for headers in (None, customer.headers, admin.headers):
        body = await gql(NODE, {"id": active}, headers=headers)
        assert body == {"data": {"node": {"id": active, "name": "Ground", "active": True}}}
    for headers, seen in ((None, None), (customer.headers, None), (admin.headers, "Air")):
        body = await gql(NODE, {"id": inactive}, headers=headers)
        assert (body["data"]["node"] or {}).get("name") == seen, body
    missing = await gql(NODE, {"id": global_id("ShippingMethod", ObjectId())})
    assert missing == {"data": {"node": None}}


# --- who may -----------------------------------------------------------------------------

ADMIN_OPERATIONS = [
    ("createShippingMethod", CREATE, lambda method_id: {"input": STANDARD}, None),
    ("updateShippingMethod", UPDATE, lambda method_id: {"id": method_id, "input": {}}, None),
    ("deleteShippingMethod", DELETE, lambda method_id: {"id": method_id}, None),
    ("shippingMethods", LIST, lambda method_id: {}, None),
]


@pytest.mark.parametrize(
    ("field", "query", "variables", "data"), ADMIN_OPERATIONS, ids=[o[0] for o in ADMIN_OPERATIONS]
)
async def test_anonymous_callers_and_customers_are_refused_and_change_nothing(
    db, gql, as_admin, customer, field, query, variables, data
):
    method_id = await created_id(as_admin)
    before = await db.shipping_methods.find({}).to_list()

    anonymous = await gql(query, variables(method_id))
    customers = await gql(query, variables(method_id), headers=customer.headers)

    assert_refused(anonymous, field, "UNAUTHENTICATED", data)
    assert_refused(customers, field, "FORBIDDEN", data)
    assert await db.shipping_methods.find({}).to_list() == before


# --- what a cart asks of the service -----------------------------------------------------


async def make(service: ShippingMethods, name: str, price: str, **fields: Any) -> ShippingMethod:
    given = {"countries": ["US"], **fields}
    return await service.create(ShippingMethodFields(name=name, price=Decimal(price), **given))


async def test_for_country_offers_active_methods_shipping_there_cheapest_first(service):
    express = await make(service, "Express", "15.00", countries=["US", "CA"])
    ground = await make(service, "Ground", "4.90", countries=["CA", "US", "MX"])
    await make(service, "Retired", "1.00", active=False)
    await make(service, "Europe", "2.00", countries=["DE", "FR"])
    also_ground = await make(service, "Ground too", "4.90")

    offered = await service.for_country("US")

    assert [method.id for method in offered] == [ground.id, also_ground.id, express.id]
    assert [m.name for m in await service.for_country(" ca")] == ["Ground", "Express"]
    assert await service.for_country("JP") == []
    assert await service.for_country("Narnia") == []


async def test_for_country_follows_changes_made_by_admins(service):
    ground = await make(service, "Ground", "4.90")
    express = await make(service, "Express", "15.00")

    await service.update(ground.id, ShippingMethodFields(price=Decimal("20")))
    await service.update(express.id, ShippingMethodFields(active=False))
    await make(service, "Pickup", "0")

    assert [m.name for m in await service.for_country("US")] == ["Pickup", "Ground"]


async def test_price_for_is_free_from_the_free_subtotal_on(service):
    await make(service, "Ground", "4.90", free_over_subtotal=Decimal("50.00"))
    await make(service, "Express", "15.00")
    ground, express = await service.for_country("US")

    assert (ground.price_for(4999), ground.price_for(5000), ground.price_for(12345)) == (
        490,
        0,
        0,
    )
    assert (express.price_for(0), express.price_for(10**9)) == (1500, 1500)
    assert ground.ships_to("us") and not ground.ships_to("CA")


async def test_get_and_get_many_read_stored_methods(service):
    ground = await make(service, "Ground", "4.90", min_delivery_days=2, max_delivery_days=4)
    express = await make(service, "Express", "15.00", active=False)
    missing = ObjectId()

    many = await service.get_many([ground.id, express.id, missing])

    assert many == {ground.id: ground, express.id: express}
    assert await service.get(express.id) == express
    assert await service.get(missing) is None
    assert await service.get_many([]) == {}
    assert (ground.min_delivery_days, ground.max_delivery_days, express.active) == (2, 4, False)
