"""Tax rates: admins set, list and delete them, per country or per region; the limits of
each argument; who may; racing sets of one place; the bound on how many exist; and the
rate a cart is taxed at, a region's before its country's."""

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from shopgraph.checkout.tax_rates import MAX_TAX_RATES, TaxRates
from shopgraph.datasources.client import Datasources
from tests.helpers import assert_refused, error, without_messages

SET = """mutation Set($country: String!, $region: String, $rate: Decimal!) {
  setTaxRate(country: $country, region: $region, rate: $rate) {
    taxRate { country region rate } userErrors { field message code }
  }
}"""
DELETE = """mutation Delete($country: String!, $region: String) {
  deleteTaxRate(country: $country, region: $region) { deletedId userErrors { field message code } }
}"""
LIST = "query { taxRates { country region rate } }"


async def set_rate(as_admin, country: str, rate: Any, region: str | None = None) -> dict[str, Any]:
    variables = {"country": country, "region": region, "rate": rate}
    return (await as_admin(SET, variables))["setTaxRate"]


async def delete_rate(as_admin, country: str, region: str | None = None) -> dict[str, Any]:
    return (await as_admin(DELETE, {"country": country, "region": region}))["deleteTaxRate"]


async def stored(db) -> list[dict[str, Any]]:
    """Every rate as stored, without the token of its creation."""
    documents = await db.tax_rates.find({}, {"creation": 0}).sort("_id", 1).to_list()
    return documents


@pytest.fixture
def service(db) -> TaxRates:
    return TaxRates(Datasources.for_database(db).tax_rates)


# --- setting -----------------------------------------------------------------------------


async def test_set_a_country_rate(db, as_admin):
    payload = await set_rate(as_admin, "US", "8.25")

    assert payload == {
        "taxRate": {"country": "US", "region": None, "rate": "8.25"},
        "userErrors": [],
    }
    assert await stored(db) == [{"_id": "US", "country": "US", "region": None, "ratePpm": 82500}]


async def test_set_a_region_rate_normalising_country_and_region(db, as_admin):
    payload = await set_rate(as_admin, " us", "7.25", region="  new   york ")

    assert payload["taxRate"] == {"country": "US", "region": "NEW YORK", "rate": "7.25"}
    assert await stored(db) == [
        {"_id": "US:NEW YORK", "country": "US", "region": "NEW YORK", "ratePpm": 72500}
    ]


async def test_setting_a_place_again_replaces_its_rate(db, as_admin):
    await set_rate(as_admin, "US", "6", region="ca")

    payload = await set_rate(as_admin, "us", "7.5", region="CA")

    assert payload["taxRate"] == {"country": "US", "region": "CA", "rate": "7.5"}
    assert await stored(db) == [{"_id": "US:CA", "country": "US", "region": "CA", "ratePpm": 75000}]


@pytest.mark.parametrize(
    ("given", "shown", "parts_per_million"),
    [
        ("8.25", "8.25", 82500),
        ("8.2500", "8.25", 82500),
        ("10", "10", 100000),
        ("1E+1", "10", 100000),
        ("0", "0", 0),
        ("0.0001", "0.0001", 1),
        ("100", "100", 1000000),
        (8.875, "8.875", 88750),
        (20, "20", 200000),
    ],
)
async def test_rates_are_stored_exactly_and_shown_without_trailing_zeros(
    db, as_admin, given, shown, parts_per_million
):
    payload = await set_rate(as_admin, "DE", given)

    assert payload["taxRate"]["rate"] == shown
    [document] = await stored(db)
    assert document["ratePpm"] == parts_per_million


@pytest.mark.parametrize(
    ("country", "region", "rate", "field"),
    [
        ("US", None, "-0.01", "rate"),
        ("US", None, "100.0001", "rate"),
        ("US", None, "8.12345", "rate"),
        ("US", None, "1E+3", "rate"),
        ("XX", None, "5", "country"),
        ("USA", None, "5", "country"),
        ("", None, "5", "country"),
        ("US", "", "5", "region"),
        ("US", "   ", "5", "region"),
        ("US", "r" * 51, "5", "region"),
        ("US", "C\x00A", "5", "region"),
    ],
)
async def test_set_refuses_a_bad_argument_naming_it(db, as_admin, country, region, rate, field):
    payload = await set_rate(as_admin, country, rate, region=region)

    assert payload["taxRate"] is None
    assert without_messages(payload["userErrors"]) == [error([field], "INVALID")]
    assert await stored(db) == []


async def test_set_reports_every_problem_at_once(as_admin):
    payload = await set_rate(as_admin, "Narnia", "101", region="r" * 51)

    assert without_messages(payload["userErrors"]) == [
        error(["country"], "INVALID"),
        error(["region"], "INVALID"),
        error(["rate"], "INVALID"),
    ]


async def test_a_rate_with_too_many_decimals_says_percent(as_admin):
    payload = await set_rate(as_admin, "US", "0.08255")

    [refusal] = payload["userErrors"]
    assert (
        refusal["message"] == "The rate may have at most 4 decimals (in percent: 8.25 is 8.25 %)."
    )


async def test_racing_sets_of_one_place_leave_exactly_one_rate(db, as_admin):
    rates = [f"{n}.5" for n in range(20)]

    payloads = await asyncio.gather(*(set_rate(as_admin, "US", r, region="CA") for r in rates))

    assert all(payload["userErrors"] == [] for payload in payloads)
    [document] = await stored(db)
    assert document["_id"] == "US:CA"
    assert document["ratePpm"] in {int(Decimal(rate) * 10_000) for rate in rates}


async def test_a_store_has_at_most_the_limit_of_rates_but_may_change_them(db, as_admin):
    regions = [f"R{n}" for n in range(MAX_TAX_RATES)]
    await db.tax_rates.insert_many(
        [{"_id": f"US:{r}", "country": "US", "region": r, "ratePpm": 10000} for r in regions]
    )

    refused = await set_rate(as_admin, "CA", "5")
    changed = await set_rate(as_admin, "US", "2", region="r7")

    assert refused["taxRate"] is None
    [refusal] = refused["userErrors"]
    assert refusal["code"] == "INVALID" and refusal["field"] is None
    assert f"at most {MAX_TAX_RATES} tax rates" in refusal["message"]
    assert changed["taxRate"] == {"country": "US", "region": "R7", "rate": "2"}
    assert await db.tax_rates.count_documents({}) == MAX_TAX_RATES
    assert await db.tax_rates.find_one({"_id": "CA"}) is None


async def test_racing_new_rates_never_exceed_the_limit(db, as_admin):
    regions = [f"R{n}" for n in range(MAX_TAX_RATES - 2)]
    await db.tax_rates.insert_many(
        [{"_id": f"US:{r}", "country": "US", "region": r, "ratePpm": 10000} for r in regions]
    )

    payloads = await asyncio.gather(*(set_rate(as_admin, "CA", "5", f"P{n}") for n in range(10)))

    made = [payload for payload in payloads if payload["taxRate"] is not None]
    count = await db.tax_rates.count_documents({})
    assert 0 < count <= MAX_TAX_RATES
    assert len(made) == count - (MAX_TAX_RATES - 2)


# --- listing and deleting ----------------------------------------------------------------


async def test_admins_list_rates_by_country_with_the_country_before_its_regions(as_admin):
    for country, region, rate in [
        ("US", "NY", "4"),
        ("US", None, "0"),
        ("CA", None, "5"),
        ("US", "CA", "7.25"),
        ("DE", None, "19"),
    ]:
        await set_rate(as_admin, country, rate, region=region)

    rates = (await as_admin(LIST))["taxRates"]

    assert rates == [
        {"country": "CA", "region": None, "rate": "5"},
        {"country": "DE", "region": None, "rate": "19"},
        {"country": "US", "region": None, "rate": "0"},
        {"country": "US", "region": "CA", "rate": "7.25"},
        {"country": "US", "region": "NY", "rate": "4"},
    ]


async def test_delete_a_region_leaves_its_country(db, as_admin):
    await set_rate(as_admin, "US", "5")
    await set_rate(as_admin, "US", "7.25", region="CA")

    payload = await delete_rate(as_admin, "us", region="ca")

    assert payload == {"deletedId": "US:CA", "userErrors": []}
    assert [document["_id"] for document in await stored(db)] == ["US"]


async def test_delete_a_country_leaves_its_regions(db, as_admin):
    await set_rate(as_admin, "US", "5")
    await set_rate(as_admin, "US", "7.25", region="CA")

    payload = await delete_rate(as_admin, "US")

    assert payload == {"deletedId": "US", "userErrors": []}
    assert [document["_id"] for document in await stored(db)] == ["US:CA"]


@pytest.mark.parametrize(("region", "field"), [(None, "country"), ("CA", "region")])
async def test_deleting_a_missing_rate_is_not_found(db, as_admin, region, field):
    await set_rate(as_admin, "US", "5", region="NY")

    payload = await delete_rate(as_admin, "US", region=region)

    assert payload["deletedId"] is None
    assert without_messages(payload["userErrors"]) == [error([field], "NOT_FOUND")]
    assert len(await stored(db)) == 1


async def test_delete_refuses_bad_arguments(as_admin):
    payload = await delete_rate(as_admin, "XX", region="")

    assert without_messages(payload["userErrors"]) == [
        error(["country"], "INVALID"),
        error(["region"], "INVALID"),
    ]


# --- who may -----------------------------------------------------------------------------

ADMIN_OPERATIONS = [
    ("setTaxRate", SET, {"country": "US", "region": "CA", "rate": "9"}),
    ("deleteTaxRate", DELETE, {"country": "US", "region": "CA"}),
    ("taxRates", LIST, {}),
]


@pytest.mark.parametrize(
    ("field", "query", "variables"), ADMIN_OPERATIONS, ids=[o[0] for o in ADMIN_OPERATIONS]
)
async def test_anonymous_callers_and_customers_are_refused_and_change_nothing(
    db, gql, as_admin, customer, field, query, variables
):
    await set_rate(as_admin, "US", "7.25", region="CA")
    before = await stored(db)

    anonymous = await gql(query, variables)
    customers = await gql(query, variables, headers=customer.headers)

    assert_refused(anonymous, field, "UNAUTHENTICATED")
    assert_refused(customers, field, "FORBIDDEN")
    assert await stored(db) == before


# --- the rate a cart is taxed at ---------------------------------------------------------


async def test_rate_for_prefers_the_region_then_the_country(service):
    await service.set("US", None, Decimal("5"))
    await service.set("US", "CA", Decimal("7.25"))
    await service.set("DE", None, Decimal("19"))

    assert await service.rate_for("US", "CA") == Decimal("7.25")
    assert await service.rate_for("us", " ca ") == Decimal("7.25")
    assert await service.rate_for("US", "NY") == Decimal("5")
    assert await service.rate_for("US", None) == Decimal("5")
    assert await service.rate_for("DE", "BY") == Decimal("19")
    assert await service.rate_for("FR", None) is None
    assert await service.rate_for("FR", "IDF") is None
    assert await service.rate_for("Narnia", "CA") is None


async def test_rate_for_a_region_without_a_country_rate(service):
    await service.set("CA", "QC", Decimal("14.975"))

    assert await service.rate_for("CA", "qc") == Decimal("14.975")
    assert await service.rate_for("CA", "ON") is None


async def test_rate_for_follows_sets_and_deletions(service):
    await service.set("US", None, Decimal("5"))
    await service.set("US", "CA", Decimal("7.25"))
    await service.set("US", "CA", Decimal("8.25"))
    assert await service.rate_for("US", "CA") == Decimal("8.25")

    assert await service.delete("US", "CA") == "US:CA"

    assert await service.rate_for("US", "CA") == Decimal("5")
    assert [(r.country, r.region, r.rate) for r in await service.all()] == [
        ("US", None, Decimal("5"))
    ]
