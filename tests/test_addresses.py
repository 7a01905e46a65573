"""What a valid address is: required fields, ISO 3166-1 country codes, lengths, no control
characters; every problem reported at once as a userError naming its field, and nothing
saved. What a saved address looks like: trimmed, the country in capitals."""

from typing import Any

import pytest

from shopgraph.checkout.addresses import Address, parse_address
from shopgraph.errors import InvalidInput
from tests.helpers import (
    HOME,
    OFFICE,
    UPDATE_ADDRESS,
    add_address,
    address_book,
    error,
    payload_of,
    saved,
    without_messages,
)

REQUIRED = ("firstName", "lastName", "line1", "city", "postalCode", "country")
OPTIONAL = ("company", "line2", "region", "phone")
# Each field with a length bound, a valid value of exactly that length, and one too long.
AT_THE_LIMIT = {
    "firstName": "F" * 100,
    "lastName": "L" * 100,
    "company": "C" * 200,
    "line1": "1" * 200,
    "line2": "2" * 200,
    "city": "c" * 100,
    "region": "r" * 100,
    "postalCode": "9" * 20,
    "phone": "5" * 30,
}


def at(key: str) -> list[str]:
    return ["input", "address", key]


async def refused_with(gql, customer, db, address: dict[str, Any]) -> list[dict[str, Any]]:
    """The userErrors (without messages) of adding `address`; nothing was saved."""
    payload = await add_address(gql, customer, address)
    assert payload["address"] is None, payload
    assert await address_book(db, customer) is None
    return without_messages(payload["userErrors"])


async def test_a_valid_address_is_saved_trimmed_with_the_country_in_capitals(gql, customer, db):
    given = {key: f"  {value}\u00a0 " for key, value in HOME.items()} | {"country": " gb "}

    address = (await saved(gql, customer, given))["address"]

    assert address == HOME
    book = await address_book(db, customer)
    [entry] = book["entries"].values()
    assert entry == HOME


async def test_empty_optional_fields_are_saved_as_none(gql, customer, db):
    given = OFFICE | {"company": "", "line2": "   ", "region": None}

    address = (await saved(gql, customer, given))["address"]

    assert address == OFFICE | dict.fromkeys(OPTIONAL)
    [entry] = (await address_book(db, customer))["entries"].values()
    assert entry == OFFICE  # absent parts are left out of the document


@pytest.mark.parametrize("key", REQUIRED)
@pytest.mark.parametrize("missing", ["absent", None, "", "  \t "])
async def test_each_required_field_missing_is_a_user_error_naming_it(
    gql, customer, db, key, missing
):
    address = {k: v for k, v in OFFICE.items() if k != key}
    if missing != "absent":
        address[key] = missing

    assert await refused_with(gql, customer, db, address) == [error(at(key), "INVALID")]


async def test_an_empty_address_reports_every_required_field_at_once(gql, customer, db):
    payload = await add_address(gql, customer, {})

    assert without_messages(payload["userErrors"]) == [error(at(k), "INVALID") for k in REQUIRED]
    messages = [e["message"] for e in payload["userErrors"]]
    assert messages[0] == "Give the first name." and messages[4] == "Give the postal code."


@pytest.mark.parametrize("country", ["XX", "usa", "U", "12", "UK", "D E", "ÜS"])
async def test_a_country_must_be_an_assigned_iso_3166_alpha_2_code(gql, customer, db, country):
    [problem] = (await add_address(gql, customer, OFFICE | {"country": country}))["userErrors"]

    assert problem["field"] == at("country") and problem["code"] == "INVALID"
    assert "ISO 3166-1 alpha-2" in problem["message"]
    assert await address_book(db, customer) is None


@pytest.mark.parametrize("country", ["de", "De", "FR", "jp"])
async def test_a_country_code_is_accepted_in_any_case(gql, customer, country):
    address = (await saved(gql, customer, OFFICE | {"country": country}))["address"]

    assert address["country"] == country.upper()


@pytest.mark.parametrize("key", AT_THE_LIMIT)
async def test_each_field_may_reach_its_limit_and_no_further(gql, customer, db, key):
    longest = AT_THE_LIMIT[key]
    assert (await saved(gql, customer, OFFICE | {key: longest}))["address"][key] == longest

    payload = await add_address(gql, customer, OFFICE | {key: longest + longest[0]})

    assert without_messages(payload["userErrors"]) == [error(at(key), "INVALID")]
    assert f"at most {len(longest)} characters" in payload["userErrors"][0]["message"]
    assert len((await address_book(db, customer))["entries"]) == 1


@pytest.mark.parametrize("key", [*REQUIRED[:-1], *OPTIONAL])
@pytest.mark.parametrize("control", ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\u2028"])
async def test_control_characters_are_refused_in_every_field(gql, customer, db, key, control):
    value = OFFICE.get(key) or HOME[key]
    middle = len(value) // 2
    address = OFFICE | {key: value[:middle] + control + value[middle:]}

    assert await refused_with(gql, customer, db, address) == [error(at(key), "INVALID")]


@pytest.mark.parametrize("phone", ["call me", "555", "+44 (0)20 79460018 ext 4", "++4420"])
async def test_a_phone_number_is_digits_with_a_few_separators(gql, customer, db, phone):
    assert await refused_with(gql, customer, db, OFFICE | {"phone": phone}) == [
        error(at("phone"), "INVALID")
    ]


@pytest.mark.parametrize("phone", ["+1 (555) 010-0199", "020 7946.0018", "0049/30/901820"])
async def test_common_ways_of_writing_a_phone_number_are_accepted(gql, customer, phone):
    assert (await saved(gql, customer, OFFICE | {"phone": phone}))["address"]["phone"] == phone


@pytest.mark.parametrize("postal_code", ["12#45", "-1234", "SW1A_1AA", "١٢٣٤٥"])
async def test_a_postal_code_is_letters_digits_spaces_and_hyphens(gql, customer, db, postal_code):
    assert await refused_with(gql, customer, db, OFFICE | {"postalCode": postal_code}) == [
        error(at("postalCode"), "INVALID")
    ]


async def test_every_bad_field_is_reported_at_once_in_field_order(gql, customer, db):
    address = {
        "lastName": "L" * 101,
        "line1": "1 Main St",
        "line2": "Floor 2\nRoom 9",
        "city": "Springfield",
        "postalCode": "62701",
        "country": "usa",
        "phone": "n/a",
    }

    assert await refused_with(gql, customer, db, address) == [
        error(at("firstName"), "INVALID"),
        error(at("lastName"), "INVALID"),
        error(at("line2"), "INVALID"),
        error(at("country"), "INVALID"),
        error(at("phone"), "INVALID"),
    ]


async def test_an_update_is_validated_the_same_way_and_changes_nothing(gql, customer, db):
    first = await saved(gql, customer, HOME)
    before = await address_book(db, customer)

    body = await gql(
        UPDATE_ADDRESS,
        {"id": first["id"], "input": {"address": {"firstName": "Ada", "country": "XX"}}},
        headers=customer.headers,
    )

    payload = payload_of(body, "updateAddress")
    assert payload["address"] is None
    assert without_messages(payload["userErrors"]) == [
        error(at("lastName"), "INVALID"),
        error(at("line1"), "INVALID"),
        error(at("city"), "INVALID"),
        error(at("postalCode"), "INVALID"),
        error(at("country"), "INVALID"),
    ]
    assert await address_book(db, customer) == before


# --- the value itself ----------------------------------------------------------------------


def test_parse_address_names_each_problem_under_the_given_field():
    with pytest.raises(InvalidInput) as refused:
        parse_address({"firstName": "Ada", "country": "zz"}, "address")

    assert [problem.field for problem in refused.value.problems] == [
        "address.lastName",
        "address.line1",
        "address.city",
        "address.postalCode",
        "address.country",
    ]


def test_an_address_survives_its_document():
    address = parse_address(HOME, "address")

    assert address.to_document() == HOME
    assert Address.from_document(address.to_document()) == address
    assert Address.from_document(parse_address(OFFICE, "a").to_document()).company is None


def test_printed_lines_name_the_country_and_follow_its_postal_code_order():
    assert parse_address(HOME, "a").printed() == [
        "Ada Lovelace",
        "Analytical Engines Ltd",
        "12 St James's Square",
        "Flat 3",
        "London, Greater London SW1Y 4JH",
        "United Kingdom",
        "+44 20 7946 0018",
    ]
    berlin = OFFICE | {"city": "Berlin", "postalCode": "10115", "country": "DE"}
    assert parse_address(berlin, "a").printed() == [
        "Grace Hopper",
        "1 Navy Yard",
        "10115 Berlin",
        "Germany",
    ]
    assert parse_address(OFFICE | {"region": "VA"}, "a").printed()[2:] == [
        "Arlington, VA 22202",
        "United States",
    ]
