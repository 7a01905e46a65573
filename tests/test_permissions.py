"""Who may do what: the admin operations for anonymous callers, customers and admins; who
sees a user's email; inactive products; the admin listing of users; rights that follow the
user document rather than the token."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from bson import ObjectId
from graphql import GraphQLError

from shopgraph.schema.errors import NotAuthenticated
from shopgraph.schema.permissions import IsSelfOrAdmin
from shopgraph.schema.users import User
from tests.conftest import graphql
from tests.factories import BASE_TIME, global_id, product_document
from tests.helpers import DELETE_PRODUCT as DELETE
from tests.helpers import ME, assert_refused

# --- helpers -----------------------------------------------------------------------------

COLLECTIONS = ("products", "stock_movements", "users")


async def snapshot(db) -> dict[str, list[dict[str, Any]]]:
    """Every document of the collections an admin operation could touch."""
    return {name: await db[name].find({}).sort("_id", 1).to_list() for name in COLLECTIONS}


def assert_bad_user_input(body: dict[str, Any], field: str, data: Any) -> None:
    assert_refused(body, field, "BAD_USER_INPUT", data)


# --- the operations of the matrix ----------------------------------------------------------

CREATE = """mutation Create($input: ProductCreateInput!) {
  createProduct(input: $input) { product { id sku } userErrors { field message code } }
}"""
UPDATE = """mutation Update($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { product { id name } userErrors { field message code } }
}"""
ADJUST = """mutation Adjust($productId: ID!, $delta: Int!, $reason: String!) {
  adjustStock(productId: $productId, delta: $delta, reason: $reason) {
    product { id stock } userErrors { field message code }
  }
}"""
USER = "query User($id: ID!) { user(id: $id) { id email name role } }"
USERS = """query Users($first: Int, $after: String, $last: Int, $before: String, $search: String) {
  users(first: $first, after: $after, last: $last, before: $before, search: $search) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id email name role } }
  }
}"""
ALL_PRODUCTS = """query All($filter: ProductFilter) {
  products(first: 100, filter: $filter) { totalCount edges { node { id sku active } } }
}"""


@dataclass
class World:
    """What the matrix operates on: an active and an inactive product, and the accounts."""

    product: dict[str, Any]
    inactive: dict[str, Any]
    customer: Any
    admin: Any

    @property
    def product_id(self) -> str:
        return global_id("Product", self.product["_id"])


@pytest.fixture
async def world(db, customer, admin) -> World:
    product = product_document(sku="MUG-1", name="Mug", stock=5)
    inactive = product_document(sku="OLD-1", name="Old mug", active=False)
    await db.products.insert_many([product, inactive])
    return World(product, inactive, customer, admin)


async def created(db, world: World, body: dict[str, Any]) -> None:
    payload = body["data"]["createProduct"]
    assert payload["userErrors"] == []
    document = await db.products.find_one({"sku": "NEW-1"})
    assert document is not None and document["name"] == "New"
    assert payload["product"]["id"] == global_id("Product", document["_id"])


async def updated(db, world: World, body: dict[str, Any]) -> None:
    payload = body["data"]["updateProduct"]
    assert payload == {
        "product": {"id": world.product_id, "name": "Renamed"},
        "userErrors": [],
    }
    assert (await db.products.find_one({"_id": world.product["_id"]}))["name"] == "Renamed"


async def deleted(db, world: World, body: dict[str, Any]) -> None:
    assert body["data"]["deleteProduct"] == {"deletedId": world.product_id, "userErrors": []}
    assert await db.products.find_one({"_id": world.product["_id"]}) is None


async def adjusted(db, world: World, body: dict[str, Any]) -> None:
    payload = body["data"]["adjustStock"]
    assert payload == {"product": {"id": world.product_id, "stock": 8}, "userErrors": []}
    assert (await db.products.find_one({"_id": world.product["_id"]}))["stock"] == 8
    [movement] = await db.stock_movements.find({}).to_list()
    assert movement["userId"] == world.admin.id


async def found_user(db, world: World, body: dict[str, Any]) -> None:
    assert body["data"]["user"] == {
        "id": world.customer.global_id,
        "email": world.customer.email,
        "name": "Test",
        "role": "CUSTOMER",
    }


async def listed_users(db, world: World, body: dict[str, Any]) -> None:
    connection = body["data"]["users"]
    assert connection["totalCount"] == 2
    emails = [edge["node"]["email"] for edge in connection["edges"]]
    assert sorted(emails) == sorted([world.customer.email, world.admin.email])


async def listed_inactive(db, world: World, body: dict[str, Any]) -> None:
    connection = body["data"]["products"]
    assert connection["totalCount"] == 2
    skus = {edge["node"]["sku"]: edge["node"]["active"] for edge in connection["edges"]}
    assert skus == {"MUG-1": True, "OLD-1": False}


@dataclass(frozen=True)
class Operation:
    name: str
    field: str
    query: str
    variables: Callable[[World], dict[str, Any]]
    worked: Callable[[Any, World, dict[str, Any]], Awaitable[None]]
    # What `data` is when the field is refused: null fields bubble up to `data` itself.
    refused_data: Any = None


OPERATIONS = [
    Operation(
        "createProduct",
        "createProduct",
        CREATE,
        lambda w: {"input": {"sku": "NEW-1", "name": "New", "price": "9.99", "stock": 4}},
        created,
    ),
    Operation(
        "updateProduct",
        "updateProduct",
        UPDATE,
        lambda w: {
            "id": w.product_id,
            "input": {"name": "Renamed", "stock": 1, "expectedStock": 5},
        },
        updated,
    ),
    Operation("deleteProduct", "deleteProduct", DELETE, lambda w: {"id": w.product_id}, deleted),
    Operation(
        "adjustStock",
        "adjustStock",
        ADJUST,
        lambda w: {"productId": w.product_id, "delta": 3, "reason": "delivery"},
        adjusted,
    ),
    Operation(
        "user",
        "user",
        USER,
        lambda w: {"id": w.customer.global_id},
        found_user,
        refused_data={"user": None},
    ),
    Operation("users", "users", USERS, lambda w: {"first": 10}, listed_users),
    Operation(
        "products(includeInactive)",
        "products",
        ALL_PRODUCTS,
        lambda w: {"filter": {"includeInactive": True}},
        listed_inactive,
    ),
]
OPERATION_IDS = [operation.name for operation in OPERATIONS]


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
async def test_anonymous_callers_are_unauthenticated_and_change_nothing(db, gql, world, operation):
    before = await snapshot(db)

    body = await gql(operation.query, operation.variables(world))

    assert_refused(body, operation.field, "UNAUTHENTICATED", operation.refused_data)
    assert await snapshot(db) == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
async def test_customers_are_forbidden_and_change_nothing(db, gql, world, operation):
    before = await snapshot(db)

    body = await gql(operation.query, operation.variables(world), headers=world.customer.headers)

    assert_refused(body, operation.field, "FORBIDDEN", operation.refused_data)
    assert await snapshot(db) == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
async def test_admins_may(db, gql, world, operation):
    body = await gql(operation.query, operation.variables(world), headers=world.admin.headers)

    assert "errors" not in body, body
    await operation.worked(db, world, body)


async def test_an_invalid_token_fails_the_whole_request_without_changes(db, gql, world):
    before = await snapshot(db)

    body = await gql(
        ADJUST,
        {"productId": world.product_id, "delta": 3, "reason": "delivery"},
        headers={"Authorization": f"Bearer {world.admin.access_token}x"},
    )

    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert await snapshot(db) == before


async def test_a_refused_field_does_not_stop_an_allowed_one(gql, world):
    body = await gql(
        "query Q($id: ID!) { me { email } user(id: $id) { email } }",
        {"id": world.customer.global_id},
        headers=world.customer.headers,
    )

    assert body["data"] == {"me": {"email": world.customer.email}, "user": None}
    [error] = body["errors"]
    assert error["path"] == ["user"] and error["extensions"]["code"] == "FORBIDDEN"


# --- rights come from the user document, not from the token ---------------------------------


async def test_a_demoted_admin_is_forbidden_at_once_with_the_same_token(db, gql, world):
    variables = {"productId": world.product_id, "delta": 1, "reason": "count"}
    first = await gql(ADJUST, variables, headers=world.admin.headers)
    assert first["data"]["adjustStock"]["userErrors"] == []
    await db.users.update_one({"_id": world.admin.id}, {"$set": {"role": "CUSTOMER"}})
    before = await snapshot(db)

    adjust = await gql(ADJUST, variables, headers=world.admin.headers)
    listing = await gql(USERS, {"first": 5}, headers=world.admin.headers)
    create = await gql(
        CREATE,
        {"input": {"sku": "NEW-1", "name": "New", "price": "1"}},
        headers=world.admin.headers,
    )

    assert_refused(adjust, "adjustStock", "FORBIDDEN", None)
    assert_refused(listing, "users", "FORBIDDEN", None)
    assert_refused(create, "createProduct", "FORBIDDEN", None)
    assert await snapshot(db) == before


async def test_a_deleted_admin_is_unauthenticated_at_once_with_the_same_token(db, gql, world):
    await db.users.delete_one({"_id": world.admin.id})
    before = await snapshot(db)

    adjust = await gql(
        ADJUST,
        {"productId": world.product_id, "delta": 1, "reason": "count"},
        headers=world.admin.headers,
    )
    me = await gql("{ me { id } }", headers=world.admin.headers)

    assert_refused(adjust, "adjustStock", "UNAUTHENTICATED", None)
    assert_refused(me, "me", "UNAUTHENTICATED", {"me": None})
    assert await snapshot(db) == before


async def test_a_promoted_customer_is_an_admin_at_once_with_the_same_token(db, gql, world):
    await db.users.update_one({"_id": world.customer.id}, {"$set": {"role": "ADMIN"}})

    body = await gql(USER, {"id": world.admin.global_id}, headers=world.customer.headers)

    assert body == {
        "data": {
            "user": {
                "id": world.admin.global_id,
                "email": world.admin.email,
                "name": "Test",
                "role": "ADMIN",
            }
        }
    }


# --- who sees a user's email ------------------------------------------------------------------

NODE_USER = "query Node($id: ID!) { node(id: $id) { __typename id ... on User { email name } } }"


async def test_me_shows_the_callers_own_email(gql, customer):
    body = await gql(ME, headers=customer.headers)

    assert body == {
        "data": {
            "me": {
                "id": customer.global_id,
                "email": customer.email,
                "name": "Test",
                "role": "CUSTOMER",
            }
        }
    }


async def test_me_is_null_for_anonymous_callers(gql, customer):
    assert await gql(ME) == {"data": {"me": None}}


async def test_node_of_oneself_shows_the_email(gql, customer):
    body = await gql(NODE_USER, {"id": customer.global_id}, headers=customer.headers)

    assert body == {
        "data": {
            "node": {
                "__typename": "User",
                "id": customer.global_id,
                "email": customer.email,
                "name": "Test",
            }
        }
    }


async def test_node_of_another_user_is_null_for_a_customer(gql, customer, other_customer, admin):
    for target in (other_customer, admin):
        body = await gql(NODE_USER, {"id": target.global_id}, headers=customer.headers)

        assert body == {"data": {"node": None}}, body


async def test_node_of_a_user_is_null_for_anonymous_callers(gql, customer):
    body = await gql(NODE_USER, {"id": customer.global_id})

    assert body == {"data": {"node": None}}
    assert customer.email not in str(body)


async def test_admins_see_every_email_through_node_user_and_users(gql, customer, admin):
    node = await gql(NODE_USER, {"id": customer.global_id}, headers=admin.headers)
    user = await gql(USER, {"id": customer.global_id}, headers=admin.headers)
    users = await gql(USERS, {"first": 10}, headers=admin.headers)

    assert node["data"]["node"]["email"] == customer.email
    assert user["data"]["user"]["email"] == customer.email
    emails = {edge["node"]["id"]: edge["node"]["email"] for edge in users["data"]["users"]["edges"]}
    assert emails == {customer.global_id: customer.email, admin.global_id: admin.email}


async def test_login_shows_the_email_of_the_user_it_authenticated(client, customer):
    """The request carries no token, but the payload's user is the caller."""
    body = await graphql(
        client,
        """mutation Login($email: String!, $password: String!) {
          login(email: $email, password: $password) { user { id email } userErrors { code } }
        }""",
        {"email": customer.email, "password": customer.password},
    )

    assert body == {
        "data": {
            "login": {
                "user": {"id": customer.global_id, "email": customer.email},
                "userErrors": [],
            }
        }
    }


def _info_for(viewer_document: dict[str, Any] | None) -> Any:
    """A stand-in for Strawberry's Info whose viewer is `viewer_document` (None: anonymous)."""

    async def require_user() -> dict[str, Any]:
        if viewer_document is None:
            raise NotAuthenticated()
        return viewer_document

    return SimpleNamespace(
        context=SimpleNamespace(viewer=SimpleNamespace(require_user=require_user))
    )


async def test_the_email_guard_refuses_another_customer_with_forbidden():
    """No query hands a customer another user today; the field guard must hold if one does."""
    guard = IsSelfOrAdmin()
    owner = {"_id": ObjectId(), "role": "CUSTOMER", "email": "owner@shop.test"}
    other = {"_id": ObjectId(), "role": "CUSTOMER"}
    admin = {"_id": ObjectId(), "role": "ADMIN"}

    assert await guard.has_permission(User(document=owner), _info_for(owner)) is True
    assert await guard.has_permission(User(document=owner), _info_for(admin)) is True
    assert await guard.has_permission(User(document=owner, is_caller=True), _info_for(None))
    with pytest.raises(GraphQLError) as forbidden:
        await guard.has_permission(User(document=owner), _info_for(other))
    assert forbidden.value.extensions == {"code": "FORBIDDEN"}
    with pytest.raises(GraphQLError) as anonymous:
        await guard.has_permission(User(document=owner), _info_for(None))
    assert anonymous.value.extensions == {"code": "UNAUTHENTICATED"}


# --- inactive products ------------------------------------------------------------------------

PRODUCT_BY_ID = "query P($id: ID) { product(id: $id) { sku active } }"
PRODUCT_BY_SKU = "query P($sku: String) { product(sku: $sku) { sku active } }"
NODE_PRODUCT = "query N($id: ID!) { node(id: $id) { ... on Product { sku active } } }"


async def _views(gql, document: dict[str, Any], headers: dict[str, str] | None) -> list[Any]:
    product_id = global_id("Product", document["_id"])
    by_id = await gql(PRODUCT_BY_ID, {"id": product_id}, headers=headers)
    by_sku = await gql(PRODUCT_BY_SKU, {"sku": document["sku"]}, headers=headers)
    node = await gql(NODE_PRODUCT, {"id": product_id}, headers=headers)
    listing = await gql(ALL_PRODUCTS, {}, headers=headers)
    for body in (by_id, by_sku, node, listing):
        assert "errors" not in body, body
    skus = [edge["node"]["sku"] for edge in listing["data"]["products"]["edges"]]
    return [by_id["data"]["product"], by_sku["data"]["product"], node["data"]["node"], skus]


@pytest.mark.parametrize("stored_as", [False, 0], ids=["false", "zero"])
@pytest.mark.parametrize("role", ["anonymous", "customer"])
async def test_inactive_products_are_invisible_to_the_storefront(
    db, gql, customer, role, stored_as
):
    document = product_document(sku="OLD-1", active=stored_as)
    await db.products.insert_one(document)
    headers = customer.headers if role == "customer" else None

    assert await _views(gql, document, headers) == [None, None, None, []]


@pytest.mark.parametrize("stored_as", [False, 0], ids=["false", "zero"])
async def test_admins_see_inactive_products_by_id_sku_node_and_include_inactive(
    db, gql, admin, stored_as
):
    document = product_document(sku="OLD-1", active=stored_as)
    await db.products.insert_one(document)
    expected = {"sku": "OLD-1", "active": False}

    # The default listing is the storefront's, for admins too.
    assert await _views(gql, document, admin.headers) == [expected, expected, expected, []]
    listing = await gql(ALL_PRODUCTS, {"filter": {"includeInactive": True}}, headers=admin.headers)
    assert listing["data"]["products"]["edges"] == [
        {"node": {"id": global_id("Product", document["_id"]), **expected}}
    ]


async def test_a_product_deactivated_through_the_api_disappears_from_the_storefront(
    db, gql, customer, admin
):
    document = product_document(sku="MUG-1")
    await db.products.insert_one(document)
    product_id = global_id("Product", document["_id"])
    assert (await _views(gql, document, customer.headers))[3] == ["MUG-1"]

    body = await gql(
        UPDATE.replace("name }", "name active }"),
        {"id": product_id, "input": {"active": False}},
        headers=admin.headers,
    )
    assert body["data"]["updateProduct"]["userErrors"] == []
    assert body["data"]["updateProduct"]["product"]["active"] is False
    assert (await db.products.find_one({"_id": document["_id"]}))["active"] in (False, 0)

    assert await _views(gql, document, customer.headers) == [None, None, None, []]
    assert await _views(gql, document, None) == [None, None, None, []]
    expected = {"sku": "MUG-1", "active": False}
    assert (await _views(gql, document, admin.headers))[:3] == [expected, expected, expected]

    body = await gql(UPDATE, {"id": product_id, "input": {"active": True}}, headers=admin.headers)
    assert body["data"]["updateProduct"]["userErrors"] == []
    assert (await _views(gql, document, customer.headers))[3] == ["MUG-1"]


# --- user(id) and users(...) for admins -------------------------------------------------------


async def test_user_by_the_id_of_a_product_is_bad_user_input(db, gql, admin):
    document = product_document()
    await db.products.insert_one(document)

    body = await gql(USER, {"id": global_id("Product", document["_id"])}, headers=admin.headers)

    assert_bad_user_input(body, "user", {"user": None})
    assert "Product" in body["errors"][0]["message"]


@pytest.mark.parametrize("bad_id", ["not a global id", global_id("User", "nope"), ""])
async def test_user_by_a_malformed_id_is_bad_user_input(gql, admin, bad_id):
    body = await gql(USER, {"id": bad_id}, headers=admin.headers)

    assert_bad_user_input(body, "user", {"user": None})


async def test_user_by_the_id_of_no_user_is_null(gql, admin):
    body = await gql(USER, {"id": global_id("User", ObjectId())}, headers=admin.headers)

    assert body == {"data": {"user": None}}


async def insert_users(db, people: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Accounts created a minute apart (oldest first), all before the logged-in ones."""
    documents = [
        {
            "_id": ObjectId(),
            "email": email,
            "name": name,
            "role": "CUSTOMER",
            "passwordHash": "not-a-hash",
            "createdAt": BASE_TIME + timedelta(minutes=n),
            "updatedAt": BASE_TIME + timedelta(minutes=n),
        }
        for n, (email, name) in enumerate(people)
    ]
    await db.users.insert_many(documents)
    return documents


def node_emails(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return [edge["node"]["email"] for edge in body["data"]["users"]["edges"]]


async def test_users_search_matches_email_or_name_case_insensitively(db, gql, admin):
    await insert_users(
        db,
        [
            ("ada@example.org", "Ada Lovelace"),
            ("grace@navy.mil", "Grace Hopper"),
            ("alan@example.org", "Alan Turing"),
            ("axb@example.org", "Literal"),
            ("a.b@example.org", "Dotted"),
        ],
    )

    async def search(text: str) -> tuple[list[str], int]:
        body = await gql(USERS, {"search": text}, headers=admin.headers)
        return sorted(node_emails(body)), body["data"]["users"]["totalCount"]

    assert await search("HOPPER") == (["grace@navy.mil"], 1)
    assert await search("Example.ORG") == (
        ["a.b@example.org", "ada@example.org", "alan@example.org", "axb@example.org"],
        4,
    )
    assert await search("  lovelace ") == (["ada@example.org"], 1)
    # The search is a substring, not a pattern: "." matches only a dot.
    assert await search("a.b@") == (["a.b@example.org"], 1)
    assert await search("(") == ([], 0)
    assert await search("nobody") == ([], 0)
    # Blank means no search.
    assert (await search("   "))[1] == 6


async def test_users_search_longer_than_200_characters_is_bad_user_input(gql, admin):
    body = await gql(USERS, {"search": "x" * 201}, headers=admin.headers)

    assert_bad_user_input(body, "users", None)


async def test_users_pages_forward_and_backward_newest_first(db, gql, admin):
    older = await insert_users(db, [(f"user{n}@shop.test", f"User {n}") for n in range(5)])
    # The admin logged in last, so is the newest account.
    expected = [admin.email] + [document["email"] for document in reversed(older)]

    forward: list[str] = []
    after = None
    pages = []
    while True:
        body = await gql(USERS, {"first": 2, "after": after}, headers=admin.headers)
        connection = body["data"]["users"]
        assert connection["totalCount"] == 6
        forward += node_emails(body)
        pages.append(connection["pageInfo"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert len(pages) < 10
    assert forward == expected
    assert len(pages) == 3
    assert pages[0]["hasPreviousPage"] is False

    body = await gql(USERS, {"last": 4}, headers=admin.headers)
    assert node_emails(body) == expected[2:]
    assert body["data"]["users"]["pageInfo"]["hasPreviousPage"] is True
    start = body["data"]["users"]["pageInfo"]["startCursor"]
    body = await gql(USERS, {"last": 4, "before": start}, headers=admin.headers)
    assert node_emails(body) == expected[:2]
    assert body["data"]["users"]["pageInfo"]["hasPreviousPage"] is False


@pytest.mark.parametrize(
    "variables",
    [{"first": 0}, {"first": 101}, {"last": -1}, {"first": 1, "last": 1}, {"after": "garbage"}],
)
async def test_users_refuses_bad_page_arguments(gql, admin, variables):
    body = await gql(USERS, variables, headers=admin.headers)

    assert_bad_user_input(body, "users", None)


async def test_users_refuses_a_cursor_of_the_product_listing(db, gql, admin):
    await db.products.insert_one(product_document())
    products = await gql("{ products(first: 1) { pageInfo { endCursor } } }", headers=admin.headers)
    cursor = products["data"]["products"]["pageInfo"]["endCursor"]

    body = await gql(USERS, {"first": 1, "after": cursor}, headers=admin.headers)

    assert_bad_user_input(body, "users", None)
