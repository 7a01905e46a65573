"""A customer's address book: saving, changing and deleting addresses, one default shipping
and one default billing address whatever requests race, a bound on entries that holds
under races, and nobody else's hands on it (node, User.addresses, mutations)."""

import asyncio
import base64
import dataclasses
from typing import Any

import pytest
from bson import ObjectId
from graphql import parse

from shopgraph.checkout.address_book import MAX_SAVED_ADDRESSES, AddressBook
from shopgraph.checkout.addresses import parse_address
from shopgraph.datasources.client import Datasources
from shopgraph.errors import DomainError, ErrorCode
from shopgraph.schema.build import build_schema
from shopgraph.schema.query_cost import CostLimits, operation_cost
from tests.factories import global_id
from tests.helpers import (
    ADD_ADDRESS,
    DELETE_ADDRESS,
    HOME,
    OFFICE,
    SAVED_ADDRESS_FIELDS,
    UPDATE_ADDRESS,
    add_address,
    address_book,
    assert_unauthenticated,
    my_addresses,
    payload_of,
    saved,
    without_messages,
)

SCHEMA = build_schema()._schema
NODE = f"""query Node($id: ID!) {{
  node(id: $id) {{ __typename ... on SavedAddress {{ {SAVED_ADDRESS_FIELDS} }} }}
}}"""


def numbered(n: int) -> dict[str, Any]:
    return OFFICE | {"line1": f"{n} Navy Yard"}


def defaults(addresses: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The line1 of each default shipping and each default billing address."""
    return (
        [a["address"]["line1"] for a in addresses if a["isDefaultShipping"]],
        [a["address"]["line1"] for a in addresses if a["isDefaultBilling"]],
    )


async def update(gql, who, id: str, **input: Any) -> dict[str, Any]:
    body = await gql(UPDATE_ADDRESS, {"id": id, "input": input}, headers=who.headers)
    return payload_of(body, "updateAddress")


async def delete(gql, who, id: str) -> dict[str, Any]:
    body = await gql(DELETE_ADDRESS, {"id": id}, headers=who.headers)
    return payload_of(body, "deleteAddress")


def entry_key(address: dict[str, Any]) -> str:
    """The stored entry key inside a SavedAddress's global ID (`SavedAddress:user:entry`)."""
    return base64.b64decode(address["id"]).decode().rsplit(":", 1)[1]


# --- saving, changing, deleting ------------------------------------------------------------


async def test_the_first_address_saved_becomes_both_defaults(gql, customer, db):
    first = await saved(gql, customer, HOME)

    assert first["isDefaultShipping"] and first["isDefaultBilling"]
    assert first["address"] == HOME
    assert await my_addresses(gql, customer) == [first]
    book = await address_book(db, customer)
    key = entry_key(first)
    assert book["entries"] == {key: HOME} and book["count"] == 1
    assert str(book["defaultShipping"]) == key and str(book["defaultBilling"]) == key


async def test_a_later_address_becomes_a_default_only_when_asked(gql, customer):
    await saved(gql, customer, HOME)
    office = await saved(gql, customer, OFFICE)
    assert not office["isDefaultShipping"] and not office["isDefaultBilling"]

    shipping = await saved(gql, customer, numbered(3), isDefaultShipping=True)

    assert shipping["isDefaultShipping"] and not shipping["isDefaultBilling"]
    addresses = await my_addresses(gql, customer)
    assert [a["address"]["line1"] for a in addresses] == [
        HOME["line1"],
        "1 Navy Yard",
        "3 Navy Yard",
    ]
    assert defaults(addresses) == (["3 Navy Yard"], [HOME["line1"]])


async def test_a_first_address_saved_as_no_default_leaves_that_default_open(gql, customer):
    first = await saved(gql, customer, HOME, isDefaultShipping=False)
    assert (first["isDefaultShipping"], first["isDefaultBilling"]) == (False, True)

    second = await saved(gql, customer, OFFICE)

    assert (second["isDefaultShipping"], second["isDefaultBilling"]) == (True, False)


async def test_an_update_replaces_the_whole_address_and_keeps_the_defaults(gql, customer, db):
    home = await saved(gql, customer, HOME)

    payload = await update(gql, customer, home["id"], address=OFFICE | {"country": "ca"})

    assert payload["userErrors"] == []
    changed = payload["address"]
    assert changed["id"] == home["id"]
    assert changed["address"] == OFFICE | {
        "country": "CA",
        "company": None,
        "line2": None,
        "region": None,
        "phone": None,
    }
    assert changed["isDefaultShipping"] and changed["isDefaultBilling"]
    book = await address_book(db, customer)
    assert book["entries"] == {entry_key(home): OFFICE | {"country": "CA"}}


async def test_an_update_moves_and_gives_up_defaults(gql, customer):
    home = await saved(gql, customer, HOME)
    office = await saved(gql, customer, OFFICE)

    moved = await update(gql, customer, office["id"], isDefaultBilling=True)
    assert moved["address"]["isDefaultBilling"] and not moved["address"]["isDefaultShipping"]
    assert defaults(await my_addresses(gql, customer)) == ([HOME["line1"]], ["1 Navy Yard"])

    given_up = await update(gql, customer, home["id"], isDefaultShipping=False)
    assert not given_up["address"]["isDefaultShipping"]
    not_default = await update(gql, customer, home["id"], isDefaultBilling=False)
    assert not_default["userErrors"] == []
    assert defaults(await my_addresses(gql, customer)) == ([], ["1 Navy Yard"])

    unchanged = await update(gql, customer, office["id"])
    assert unchanged["address"] == moved["address"]


async def test_deleting_a_default_leaves_none_until_another_is_saved(gql, customer, db):
    home = await saved(gql, customer, HOME)
    office = await saved(gql, customer, OFFICE)

    payload = await delete(gql, customer, home["id"])

    assert payload == {"deletedId": home["id"], "userErrors": []}
    assert await my_addresses(gql, customer) == [office]
    book = await address_book(db, customer)
    assert list(book["entries"]) == [entry_key(office)] and book["count"] == 1
    assert book["defaultShipping"] is None and book["defaultBilling"] is None

    again = await delete(gql, customer, home["id"])
    assert without_messages(again["userErrors"]) == [{"field": ["id"], "code": "NOT_FOUND"}]

    third = await saved(gql, customer, numbered(3))
    assert third["isDefaultShipping"] and third["isDefaultBilling"]


async def test_a_customer_without_addresses_has_an_empty_book(gql, customer, db):
    assert await my_addresses(gql, customer) == []
    assert await address_book(db, customer) is None


# --- races -------------------------------------------------------------------------------------


async def test_racing_default_addresses_leave_exactly_one_default(gql, customer, db):
    await saved(gql, customer, HOME)
    racers = 12

    payloads = await asyncio.gather(
        *(add_address(gql, customer, numbered(n), isDefaultShipping=True) for n in range(racers))
    )

    assert all(p["userErrors"] == [] for p in payloads), payloads
    addresses = await my_addresses(gql, customer)
    assert len(addresses) == racers + 1
    shipping, billing = defaults(addresses)
    assert len(shipping) == 1 and shipping[0] != HOME["line1"]
    assert billing == [HOME["line1"]]
    book = await address_book(db, customer)
    assert str(book["defaultShipping"]) in book["entries"] and book["count"] == racers + 1


async def test_racing_first_addresses_make_one_of_them_each_default(gql, customer, db):
    payloads = await asyncio.gather(*(add_address(gql, customer, numbered(n)) for n in range(10)))

    assert all(p["userErrors"] == [] for p in payloads), payloads
    shipping, billing = defaults(await my_addresses(gql, customer))
    assert len(shipping) == 1 and len(billing) == 1
    said = [p["address"] for p in payloads if p["address"]["isDefaultShipping"]]
    assert [a["address"]["line1"] for a in said] == shipping


async def test_defaults_name_saved_addresses_whatever_races_with_deletions(gql, customer, db):
    addresses = [await saved(gql, customer, numbered(n)) for n in range(6)]

    await asyncio.gather(
        *(delete(gql, customer, a["id"]) for a in addresses[:3]),
        *(update(gql, customer, a["id"], isDefaultShipping=True) for a in addresses),
        *(update(gql, customer, a["id"], isDefaultBilling=True) for a in reversed(addresses)),
    )

    book = await address_book(db, customer)
    assert sorted(book["entries"]) == sorted(entry_key(a) for a in addresses[3:])
    assert book["count"] == 3
    for default in (book["defaultShipping"], book["defaultBilling"]):
        assert default is None or str(default) in book["entries"]


async def test_a_full_book_refuses_another_address(gql, customer, db):
    for n in range(MAX_SAVED_ADDRESSES):
        await saved(gql, customer, numbered(n))

    payload = await add_address(gql, customer, HOME)

    assert payload["address"] is None
    assert without_messages(payload["userErrors"]) == [
        {"field": None, "code": "TOO_MANY_ADDRESSES"}
    ]
    assert f"at most {MAX_SAVED_ADDRESSES}" in payload["userErrors"][0]["message"]
    book = await address_book(db, customer)
    assert book["count"] == len(book["entries"]) == MAX_SAVED_ADDRESSES
    assert HOME["line1"] not in [entry["line1"] for entry in book["entries"].values()]


async def test_the_bound_holds_when_many_addresses_race_into_an_empty_book(gql, customer, db):
    racers = MAX_SAVED_ADDRESSES + 15

    payloads = await asyncio.gather(
        *(add_address(gql, customer, numbered(n)) for n in range(racers))
    )

    codes = [[e["code"] for e in p["userErrors"]] for p in payloads]
    assert codes.count([]) == MAX_SAVED_ADDRESSES
    assert codes.count(["TOO_MANY_ADDRESSES"]) == racers - MAX_SAVED_ADDRESSES
    saved_lines = sorted(p["address"]["address"]["line1"] for p in payloads if p["address"])
    book = await address_book(db, customer)
    assert book["count"] == len(book["entries"]) == MAX_SAVED_ADDRESSES
    assert sorted(entry["line1"] for entry in book["entries"].values()) == saved_lines
    assert len(await my_addresses(gql, customer)) == MAX_SAVED_ADDRESSES


async def test_a_deletion_makes_room_again(gql, customer):
    addresses = [await saved(gql, customer, numbered(n)) for n in range(MAX_SAVED_ADDRESSES)]
    await delete(gql, customer, addresses[5]["id"])

    assert (await add_address(gql, customer, HOME))["userErrors"] == []
    assert (await add_address(gql, customer, HOME))["userErrors"][0]["code"] == "TOO_MANY_ADDRESSES"


# --- the service carts call ------------------------------------------------------------------


async def test_the_service_gives_defaults_entries_and_single_addresses(db):
    book = AddressBook(Datasources.for_database(db).address_books)
    ada, grace, nobody = ObjectId(), ObjectId(), ObjectId()
    home = parse_address(HOME, "address")
    office = parse_address(OFFICE, "address")

    first = await book.add(ada, home)
    second = await book.add(ada, office, default_billing=True)
    await book.add(grace, office, default_shipping=False)

    assert await book.defaults(ada) == (home, office)
    assert await book.defaults(grace) == (None, office)
    assert await book.defaults(nobody) == (None, None)
    assert await book.get(ada, second.id) == second
    assert await book.get(grace, second.id) is None
    found = await book.entries_of([ada, nobody, grace])
    assert list(found) == [ada, nobody, grace]
    assert [s.address for s in found[ada]] == [home, office] and found[nobody] == []
    assert found[ada][0] == dataclasses.replace(first, is_default_billing=False)

    await book.delete(ada, first.id)
    assert await book.defaults(ada) == (None, office)
    with pytest.raises(DomainError) as refused:
        await book.update(grace, first.id, home)
    assert refused.value.code is ErrorCode.NOT_FOUND


# --- whose book --------------------------------------------------------------------------------


async def test_another_customers_address_is_not_found_and_stays_as_it_was(
    gql, customer, other_customer, admin, db
):
    theirs = await saved(gql, other_customer, HOME)
    mine = await saved(gql, customer, OFFICE)
    before = (await address_book(db, other_customer), await address_book(db, customer))
    # Their entry under my user id, as if guessed: not mine either.
    forged = global_id("SavedAddress", f"{customer.id}:{entry_key(theirs)}")

    for who, id in ((customer, theirs["id"]), (customer, forged), (admin, theirs["id"])):
        changed = await update(gql, who, id, address=OFFICE, isDefaultShipping=False)
        deleted = await delete(gql, who, id)
        for payload in (changed, deleted):
            assert without_messages(payload["userErrors"]) == [
                {"field": ["id"], "code": "NOT_FOUND"}
            ]
        assert changed["address"] is None and deleted["deletedId"] is None

    assert (await address_book(db, other_customer), await address_book(db, customer)) == before
    assert await my_addresses(gql, other_customer) == [theirs]
    assert await my_addresses(gql, customer) == [mine]


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-an-id",
        global_id("Order", "64b7f0c2a1b2c3d4e5f60718"),
        global_id("SavedAddress", "64b7f0c2a1b2c3d4e5f60718"),
        global_id("SavedAddress", "x:y"),
    ],
)
async def test_a_malformed_address_id_is_an_invalid_user_error(gql, customer, bad_id):
    for payload in (await update(gql, customer, bad_id), await delete(gql, customer, bad_id)):
        assert without_messages(payload["userErrors"]) == [{"field": ["id"], "code": "INVALID"}]


async def test_node_refetches_a_saved_address_for_its_owner_and_admins_only(
    gql, customer, other_customer, admin
):
    home = await saved(gql, customer, HOME)

    async def node(headers: dict[str, str] | None) -> Any:
        body = await gql(NODE, {"id": home["id"]}, headers=headers)
        assert "errors" not in body, body
        return body["data"]["node"]

    assert await node(customer.headers) == {"__typename": "SavedAddress", **home}
    assert await node(admin.headers) == {"__typename": "SavedAddress", **home}
    assert await node(other_customer.headers) is None
    assert await node(None) is None


async def test_a_deleted_address_is_no_longer_a_node(gql, customer):
    home = await saved(gql, customer, HOME)
    await delete(gql, customer, home["id"])

    body = await gql(NODE, {"id": home["id"]}, headers=customer.headers)

    assert body == {"data": {"node": None}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (ADD_ADDRESS, {"input": {"address": HOME}}),
        (UPDATE_ADDRESS, {"id": global_id("SavedAddress", "a:b"), "input": {}}),
        (DELETE_ADDRESS, {"id": global_id("SavedAddress", "a:b")}),
    ],
)
async def test_anonymous_callers_must_log_in(gql, db, query, variables):
    body = await gql(query, variables)

    assert_unauthenticated(body)
    assert await db.address_books.count_documents({}) == 0


USER_ADDRESSES = (
    f"""query Of($id: ID!) {{ user(id: $id) {{ addresses {{ {SAVED_ADDRESS_FIELDS} }} }} }}"""
)
USER_NODE_ADDRESSES = f"""query Of($id: ID!) {{
  node(id: $id) {{ ... on User {{ addresses {{ {SAVED_ADDRESS_FIELDS} }} }} }}
}}"""


async def test_admins_see_a_customers_addresses_and_other_customers_do_not(
    gql, customer, other_customer, admin
):
    home = await saved(gql, customer, HOME)

    as_admin = await gql(USER_ADDRESSES, {"id": customer.global_id}, headers=admin.headers)
    assert as_admin == {"data": {"user": {"addresses": [home]}}}
    as_other = await gql(
        USER_NODE_ADDRESSES, {"id": customer.global_id}, headers=other_customer.headers
    )
    assert as_other == {"data": {"node": None}}
    own = await gql(USER_NODE_ADDRESSES, {"id": customer.global_id}, headers=customer.headers)
    assert own == {"data": {"node": {"addresses": [home]}}}


USERS_ADDRESSES = """query Many($n: Int) { users(first: $n) { edges { node {
  email addresses { id isDefaultShipping address { line1 country } }
} } } }"""


@pytest.mark.parametrize("customers", [3, 12])
async def test_a_page_of_users_reads_their_address_books_in_one_query(
    gql, db, admin, command_log, customers
):
    book = AddressBook(Datasources.for_database(db).address_books)
    users = [ObjectId() for _ in range(customers)]
    await db.users.insert_many(
        [{"_id": u, "email": f"{u}@shop.test", "name": "C", "role": "CUSTOMER"} for u in users]
    )
    lines: dict[str, list[str]] = {}
    for n, user_id in enumerate(users):
        for k in range(n % 3):
            await book.add(user_id, parse_address(numbered(10 * n + k), "address"))
        lines[f"{user_id}@shop.test"] = [f"{10 * n + k} Navy Yard" for k in range(n % 3)]

    command_log.clear()
    body = await gql(USERS_ADDRESSES, {"n": customers + 1}, headers=admin.headers)

    assert "errors" not in body, body
    found = {
        edge["node"]["email"]: [a["address"]["line1"] for a in edge["node"]["addresses"]]
        for edge in body["data"]["users"]["edges"]
    }
    assert found == {**lines, admin.email: []}
    assert len(command_log.named("find", "address_books")) == 1


def test_an_address_book_costs_at_most_its_bound():
    query = "{ me { addresses { id address { city } } } }"
    # me 2 + 20 addresses x (a read 2 + address 1)
    assert operation_cost(SCHEMA, parse(query), None, None, CostLimits()) == 2 + 20 * 3
