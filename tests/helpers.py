"""What the test modules share: requests and their answers, accounts and tokens, the
catalog, placing orders, an order's life after it was placed, and GraphQL over WebSocket.

Fixtures live in conftest.py; this module holds plain functions and operations.
"""

import asyncio
import base64
import re
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from argon2 import PasswordHasher
from bson import ObjectId

from shopgraph.checkout.deps import GRACE, Checkout, OrderLimits
from shopgraph.checkout.orders import Orders
from shopgraph.datasources.client import Datasources
from shopgraph.integrations import payments
from shopgraph.integrations.payments import PaymentGateway
from shopgraph.settings import Settings
from tests.conftest import LOGIN, TEST_JWT_SECRET, Account, graphql, without_cost
from tests.factories import global_id, product_document

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; httpx still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient as TestClient
    from starlette.testclient import WebSocketTestSession as WebSocketTestSession

# --- requests and their answers ----------------------------------------------------------


async def post(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST /graphql as a client would; the response as it came."""
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return await http.post("/graphql", json=payload, headers=headers)


async def poll(condition: Any, seconds: float = 5.0, interval: float = 0.05) -> bool:
    """Waits until `condition()` (sync or async) is truthy; False when the time runs out."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(interval)


def answered(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a response that is HTTP 200 and shows no stack trace."""
    assert response.status_code == 200, response.text
    assert "Traceback" not in response.text
    return response.json()


async def post_json(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST /graphql: always HTTP 200 and never a stack trace, whatever the arguments. The
    body without `extensions.cost`, as `conftest.graphql` gives it."""
    return without_cost(answered(await post(client, query, variables or {})))


def gql_of(http: httpx.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    """The `gql` fixture's call, for an app other than the shared one (see `app_with`)."""

    async def run(query: str, variables: dict[str, Any] | None = None, **kwargs: Any):
        return await graphql(http, query, variables, **kwargs)

    return run


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(
    body: dict[str, Any],
    field: str | None,
    code: str,
    data: Any = None,
    *,
    fragments: tuple[str, ...] = (),
) -> str:
    """One GraphQL error with `code`, at `field` unless that is None, beside `data`; its
    message names each of `fragments` and is no masked internal error. Returns the message."""
    assert body.get("data") == data, body
    [error] = body["errors"]
    if field is not None:
        assert error["path"] == [field], error
    assert error.get("extensions", {}).get("code") == code, error
    assert "Internal server error" not in error["message"], error
    for fragment in fragments:
        assert fragment in error["message"], error
    return error["message"]


def assert_unauthenticated(body: dict[str, Any]) -> None:
    assert [error["extensions"]["code"] for error in body.get("errors", [])] == [
        "UNAUTHENTICATED"
    ], body


# --- accounts and tokens -----------------------------------------------------------------

USER_FIELDS = "user { id email name role }"
USER_ERRORS = "userErrors { field message code }"
AUTH_FIELDS = f"accessToken refreshToken expiresIn {USER_FIELDS} {USER_ERRORS}"
REGISTER = f"""mutation Register($input: RegisterInput!) {{
  register(input: $input) {{ {AUTH_FIELDS} }}
}}"""
REFRESH = f"""mutation Refresh($refreshToken: String!) {{
  refreshToken(refreshToken: $refreshToken) {{ {AUTH_FIELDS} }}
}}"""
LOGOUT = f"""mutation Logout($refreshToken: String!) {{
  logout(refreshToken: $refreshToken) {{ ok {USER_ERRORS} }}
}}"""
UPDATE_PROFILE = f"""mutation Update($name: String!) {{
  updateProfile(input: {{name: $name}}) {{ {USER_FIELDS} {USER_ERRORS} }}
}}"""
ME = "{ me { id email name role } }"

PASSWORD = "correct horse battery"
# The app's argon2 parameters under test (see conftest's make_settings).
APP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
ISSUER = "shopgraph"
AUDIENCE = "shopgraph-api"


def claims_for(user_id: ObjectId | str | None = None, **overrides: Any) -> dict[str, Any]:
    """Claims like the server's own; an override of None removes the claim."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id or ObjectId()),
        "role": "CUSTOMER",
        "sid": uuid.uuid4().hex,
        "auth_time": now,
        "iat": now,
        "exp": now + 15 * 60,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def sign(claims: dict[str, Any], key: str = TEST_JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def claims_of(access_token: str) -> dict[str, Any]:
    return jwt.decode(
        access_token, TEST_JWT_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
    )


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def assert_no_tokens(payload: dict[str, Any]) -> None:
    assert payload["accessToken"] is None
    assert payload["refreshToken"] is None
    assert payload["user"] is None


async def register(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, name: str = "Ada"
):
    body = await graphql(
        client, REGISTER, {"input": {"email": email, "password": password, "name": name}}
    )
    assert "errors" not in body, body
    return body["data"]["register"]


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    body = await graphql(client, LOGIN, {"email": email, "password": password})
    assert "errors" not in body, body
    return body["data"]["login"]


async def refresh(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, REFRESH, {"refreshToken": token})
    assert "errors" not in body, body
    return body["data"]["refreshToken"]


async def logout(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    body = await graphql(client, LOGOUT, {"refreshToken": token})
    assert "errors" not in body, body
    return body["data"]["logout"]


async def me(client: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
    return await graphql(client, ME, headers=bearer(access_token))


def assert_refused_refresh(payload: dict[str, Any]) -> None:
    assert payload["userErrors"] == [
        {
            "field": ["refreshToken"],
            "message": "This refresh token is no longer valid; log in again.",
            "code": "INVALID_TOKEN",
        }
    ]
    assert_no_tokens(payload)


async def age_login_attempts(db, seconds: float) -> None:
    """Moves every recorded failure `seconds` into the past.

    Whole documents are replaced: the embedded server stores a datetime written with
    `$set` as a string, which no longer compares as a date.
    """
    async for attempt in db.login_attempts.find({}):
        assert isinstance(attempt["at"], datetime), attempt
        aged = {**attempt, "at": attempt["at"] - timedelta(seconds=seconds)}
        await db.login_attempts.replace_one({"_id": attempt["_id"]}, aged)


# --- the catalog -------------------------------------------------------------------------

MAX_STOCK = 1_000_000_000
# What the catalog mutations answer with.
EDITED_PRODUCT_FIELDS = """
  id sku name description price { amount currency } stock inStock category tags active
  createdAt updatedAt
"""
CREATE_PRODUCT = f"""mutation Create($input: ProductCreateInput!) {{
  createProduct(input: $input) {{
    product {{ {EDITED_PRODUCT_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
UPDATE_PRODUCT = f"""mutation Update($id: ID!, $input: ProductUpdateInput!) {{
  updateProduct(id: $id, input: $input) {{
    product {{ {EDITED_PRODUCT_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
DELETE_PRODUCT = """mutation Delete($id: ID!) {
  deleteProduct(id: $id) { deletedId userErrors { field message code } }
}"""
ADJUST_STOCK = """mutation Adjust($productId: ID!, $delta: Int!, $reason: String!) {
  adjustStock(productId: $productId, delta: $delta, reason: $reason) {
    product { id stock inStock } userErrors { field message code }
  }
}"""
# The least createProduct accepts.
VALID_PRODUCT = {"sku": "OK-1", "name": "Fine", "price": "1.00"}


async def add_product(db, **overrides: Any) -> dict[str, Any]:
    """A product document, stored as other programs (and the seed) store them."""
    document = product_document(**overrides)
    await db.products.insert_one(document)
    return document


def gid(document: dict[str, Any]) -> str:
    """The global ID of a product document."""
    return global_id("Product", document["_id"])


async def stored(db, document_or_id: Any) -> dict[str, Any] | None:
    _id = document_or_id["_id"] if isinstance(document_or_id, dict) else document_or_id
    return await db.products.find_one({"_id": _id})


async def movements(db) -> list[dict[str, Any]]:
    return await db.stock_movements.find({}).sort("_id", 1).to_list()


def error(field: list[str] | None, code: str) -> dict[str, Any]:
    """A userError without its message, to compare with `without_messages(...)`."""
    return {"field": field, "code": code}


def without_messages(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The userErrors as (field, code) only; each must still have a message."""
    for entry in errors:
        assert entry["message"], entry
    return [{"field": entry["field"], "code": entry["code"]} for entry in errors]


async def adjust(as_admin, product: dict[str, Any] | str, delta: int, reason: str = "count"):
    """The `adjustStock` payload, asked for as the admin; `product` is a document or an ID."""
    product_id = product if isinstance(product, str) else gid(product)
    data = await as_admin(ADJUST_STOCK, {"productId": product_id, "delta": delta, "reason": reason})
    return data["adjustStock"]


# --- placing orders ----------------------------------------------------------------------

PLACED_ORDER_FIELDS = """
  id number status
  items {
    productId sku name unitPrice { amount currency } quantity lineTotal { amount currency }
    product { id stock }
  }
  subtotal { amount currency } total { amount currency } holdExpiresAt createdAt
"""
PLACE = f"""mutation Place($input: PlaceOrderInput!) {{
  placeOrder(input: $input) {{
    order {{ {PLACED_ORDER_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
ORDER_QUERY = f"""query One($id: ID!) {{ order(id: $id) {{ {PLACED_ORDER_FIELDS} }} }}"""
LONG_AGO = datetime.now(UTC) - timedelta(hours=1)


def line(product: dict[str, Any] | ObjectId, quantity: int) -> dict[str, Any]:
    product_id = product if isinstance(product, ObjectId) else product["_id"]
    return {"productId": global_id("Product", product_id), "quantity": quantity}


async def place(
    gql, who: Account | None, items: list[dict[str, Any]], key: str | None = None
) -> dict[str, Any]:
    """The `placeOrder` payload; fails the test on a GraphQL error."""
    variables: dict[str, Any] = {"input": {"items": items}}
    if key is not None:
        variables["input"]["idempotencyKey"] = key
    body = await gql(PLACE, variables, headers=who.headers if who else None)
    assert "errors" not in body, body
    return body["data"]["placeOrder"]


def placed(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload
    assert payload["order"] is not None, payload
    return payload["order"]


def refused(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The userErrors of a refused order, without messages (each must have one)."""
    assert payload["order"] is None, payload
    assert payload["userErrors"], payload
    return without_messages(payload["userErrors"])


def order_object_id(order_global_id: str) -> ObjectId:
    """The ObjectId inside an Order's global ID."""
    type_name, _, raw = base64.b64decode(order_global_id).decode().partition(":")
    assert type_name == "Order", order_global_id
    return ObjectId(raw)


def order_oid(order: dict[str, Any]) -> ObjectId:
    """The ObjectId of an Order as the API answers it."""
    return order_object_id(order["id"])


async def stock_of(db, product: dict[str, Any]) -> int:
    document = await db.products.find_one({"_id": product["_id"]})
    assert document is not None
    return document["stock"]


async def all_orders(db) -> list[dict[str, Any]]:
    return await db.orders.find({}).sort("number", 1).to_list()


async def leftover_holds(db) -> list[tuple[ObjectId, dict[str, Any]]]:
    """(product id, holds) of every product that still carries a non-empty marker."""
    found = []
    async for product in db.products.find({}):
        if product.get("holds"):
            found.append((product["_id"], product["holds"]))
    return found


# The order limits of the default settings.
DEFAULT_LIMITS = OrderLimits(
    Settings.model_fields["max_pending_orders"].default,
    Settings.model_fields["max_line_quantity"].default,
    Settings.model_fields["max_held_units"].default,
)


def order_service(
    datasources: Datasources, gateway: PaymentGateway, mail_from: str, grace: timedelta = GRACE
) -> Orders:
    """The order service as a server process builds it, for running its sweep by hand."""
    return Orders(
        Checkout(
            datasources=datasources,
            gateway=gateway,
            currency="USD",
            hold=timedelta(minutes=30),
            transactions=False,
            mail_from=mail_from,
            limits=DEFAULT_LIMITS,
            grace=grace,
        )
    )


def sweeper(db, grace: timedelta = timedelta(0)) -> Orders:
    """The order sweep, run by hand: background tasks are off in tests."""
    return order_service(
        Datasources.for_database(db), payments.TestGateway(), "shop@shop.test", grace=grace
    )


def stored_lines(items: list[tuple[dict[str, Any], int]]) -> list[dict[str, Any]]:
    """An order's `items` as stored, for these products and quantities."""
    return [
        {
            "productId": product["_id"],
            "sku": product["sku"],
            "name": product["name"],
            "unitPrice": product["price"],
            "quantity": quantity,
            "lineTotal": product["price"] * quantity,
        }
        for product, quantity in items
    ]


def reserving_order(user: Account, items: list[tuple[dict[str, Any], int]]) -> dict[str, Any]:
    """An order as a process that died while taking its stock leaves it."""
    return reserving_order_of(user.id, stored_lines(items))


def reserving_order_of(user_id: ObjectId, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """An order with these stored lines, as a process that died while taking their stock
    leaves it."""
    total = sum(item["lineTotal"] for item in lines)
    return {
        "_id": ObjectId(),
        "userId": user_id,
        "items": lines,
        "subtotal": total,
        "total": total,
        "currency": "USD",
        "status": "RESERVING",
        "cartKey": "crashed",
        "idempotencyKey": "crashed-key",
        "createdAt": LONG_AGO,
        "updatedAt": LONG_AGO,
        "holdExpiresAt": LONG_AGO + timedelta(minutes=30),
    }


# --- an order's life after it was placed -------------------------------------------------

ORDER_FIELDS = """
  id number status holdExpiresAt
  subtotal { amount currency } total { amount currency }
  user { id name }
  items { productId sku name quantity unitPrice { amount currency } lineTotal { amount }
          product { id name } }
"""
# placeOrder with the items alone, answering with every field of ORDER_FIELDS.
PLACE_ITEMS = f"""mutation Place($items: [OrderLineInput!]!) {{
  placeOrder(input: {{items: $items}}) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
PAY = f"""mutation Pay($id: ID!, $token: String!) {{
  payOrder(id: $id, payment: {{token: $token}}) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
CANCEL = f"""mutation Cancel($id: ID!) {{
  cancelOrder(id: $id) {{ order {{ {ORDER_FIELDS} }} userErrors {{ field message code }} }}
}}"""
UPDATE_STATUS = f"""mutation Move($id: ID!, $status: OrderStatus!) {{
  updateOrderStatus(id: $id, status: $status) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
ORDER = f"query One($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDERS = """query Mine($first: Int, $after: String, $status: OrderStatus) {
  orders(first: $first, after: $after, status: $status) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id number status user { id } } }
  }
}"""
PAST = datetime(2020, 1, 1, tzinfo=UTC)


async def add_products(db, count: int = 1, **overrides: Any) -> list[dict[str, Any]]:
    documents = [product_document(**overrides) for _ in range(count)]
    await db.products.insert_many(documents)
    return documents


async def place_pending(gql, who, *lines: tuple[dict[str, Any], int]) -> dict[str, Any]:
    """Places an order of (product document, quantity) lines; returns the Order."""
    items = [line(product, quantity) for product, quantity in lines]
    body = await gql(PLACE_ITEMS, {"items": items}, headers=who.headers)
    payload = body["data"]["placeOrder"]
    assert payload["userErrors"] == [], body
    assert payload["order"]["status"] == "PENDING", body
    return payload["order"]


def payload_of(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"][field]


def succeeded(body: dict[str, Any], field: str, status: str) -> dict[str, Any]:
    payload = payload_of(body, field)
    assert payload["userErrors"] == [], body
    assert payload["order"]["status"] == status, body
    return payload["order"]


def user_error_code(body: dict[str, Any], field: str) -> str:
    payload = payload_of(body, field)
    assert payload["order"] is None, body
    [error] = payload["userErrors"]
    return error["code"]


async def pay(gql, who, order: dict[str, Any], token: str = "tok_visa") -> dict[str, Any]:
    body = await gql(PAY, {"id": order["id"], "token": token}, headers=who.headers)
    return succeeded(body, "payOrder", "PAID")


async def move(gql, admin, order: dict[str, Any], status: str) -> dict[str, Any]:
    body = await gql(UPDATE_STATUS, {"id": order["id"], "status": status}, headers=admin.headers)
    return succeeded(body, "updateOrderStatus", status)


async def order_in(gql, owner, admin, status: str, product: dict[str, Any], quantity: int = 2):
    """An order of `quantity` units of `product`, brought to `status` through the API."""
    order = await place_pending(gql, owner, (product, quantity))
    if status in ("PAID", "SHIPPED", "DELIVERED"):
        order = await pay(gql, owner, order)
    if status in ("SHIPPED", "DELIVERED"):
        order = await move(gql, admin, order, "SHIPPED")
    if status == "DELIVERED":
        order = await move(gql, admin, order, "DELIVERED")
    if status == "CANCELLED":
        body = await gql(CANCEL, {"id": order["id"]}, headers=owner.headers)
        order = succeeded(body, "cancelOrder", "CANCELLED")
    assert order["status"] == status
    return order


async def order_document(db, order: dict[str, Any]) -> dict[str, Any]:
    document = await db.orders.find_one({"_id": order_oid(order)})
    assert document is not None
    return document


async def expire_now(db, order_ids: list[ObjectId], ties: int = 1) -> None:
    """Moves the holds of these orders into the past, `ties` orders sharing each moment.

    Whole documents are replaced: the embedded server stores a datetime written with
    `$set` as a string, which no longer compares as a date."""
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    for n, order_id in enumerate(order_ids):
        document = await db.orders.find_one({"_id": order_id})
        expired = {**document, "holdExpiresAt": long_ago + timedelta(seconds=n // ties)}
        await db.orders.replace_one({"_id": order_id}, expired)


async def assert_no_stock_markers(db) -> None:
    async for product in db.products.find({}):
        assert not product.get("returns"), product
        assert not product.get("holds"), product


# --- GraphQL over WebSocket --------------------------------------------------------------

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


def subscribe_message(op_id: Any, payload: Any, protocol: str) -> dict[str, Any]:
    """The message that starts an operation: `subscribe`, or `start` in the legacy protocol."""
    kind = "subscribe" if protocol == TRANSPORT_WS else "start"
    return {"type": kind, "id": op_id, "payload": payload}


# --- account emails: reset and confirmation codes ------------------------------------------

OK_FIELDS = "ok userErrors { field message code }"
REQUEST_PASSWORD_RESET = f"""mutation Ask($email: String!) {{
  requestPasswordReset(email: $email) {{ {OK_FIELDS} }}
}}"""
RESET_PASSWORD = f"""mutation Reset($token: String!, $newPassword: String!) {{
  resetPassword(token: $token, newPassword: $newPassword) {{ {OK_FIELDS} }}
}}"""
REQUEST_EMAIL_VERIFICATION = f"mutation {{ requestEmailVerification {{ {OK_FIELDS} }} }}"
VERIFY_EMAIL = f"""mutation Verify($token: String!) {{
  verifyEmail(token: $token) {{ user {{ id emailVerified }} {USER_ERRORS} }}
}}"""
RESET, VERIFICATION, SIGNUP_ATTEMPT = "password-reset", "email-verification", "signup-attempt"
_CODE_LINE = re.compile(r"code is:\n\n    (\S+)\n")


def code_in(text: str) -> str:
    """The one-time code of an account email, read as its reader would."""
    found = _CODE_LINE.search(text)
    assert found is not None, text
    return found.group(1)


async def account_mails(db, to: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The account emails queued for `to`, oldest first (of `kind` if given)."""
    query: dict[str, Any] = {"to": to, "kind": kind or {"$exists": True}}
    return await db.outbox.find(query).sort("dueMs", 1).to_list()


async def mailed_code(db, to: str, kind: str) -> str:
    """The code in the newest email of `kind` to `to`."""
    mails = await account_mails(db, to, kind)
    assert mails, f"no {kind} email to {to}"
    return code_in(mails[-1]["text"])


async def let_mail_quota_pass(db) -> None:
    """As if enough time had passed for every address to be sent another email."""
    await db.mail_quota.delete_many({})


async def ok_payload(client: httpx.AsyncClient, query: str, variables=None, headers=None):
    body = await graphql(client, query, variables or {}, headers=headers)
    assert "errors" not in body, body
    [payload] = body["data"].values()
    return payload


async def eventually(
    condition: Callable[[], bool], within: float, what: str, interval: float = 0.01
) -> float:
    """`poll`, failing after `within` s; returns how long it took."""
    start = time.monotonic()
    if not await poll(condition, within, interval):
        raise AssertionError(f"not within {within} s: {what}")
    return time.monotonic() - start


# --- addresses and the address book --------------------------------------------------------

ADDRESS_FIELDS = "firstName lastName company line1 line2 city region postalCode country phone"
SAVED_ADDRESS_FIELDS = f"id isDefaultShipping isDefaultBilling address {{ {ADDRESS_FIELDS} }}"
ADD_ADDRESS = f"""mutation Add($input: AddAddressInput!) {{
  addAddress(input: $input) {{ address {{ {SAVED_ADDRESS_FIELDS} }} {USER_ERRORS} }}
}}"""
UPDATE_ADDRESS = f"""mutation Update($id: ID!, $input: UpdateAddressInput!) {{
  updateAddress(id: $id, input: $input) {{ address {{ {SAVED_ADDRESS_FIELDS} }} {USER_ERRORS} }}
}}"""
DELETE_ADDRESS = f"""mutation Delete($id: ID!) {{
  deleteAddress(id: $id) {{ deletedId {USER_ERRORS} }}
}}"""
MY_ADDRESSES = f"{{ me {{ addresses {{ {SAVED_ADDRESS_FIELDS} }} }} }}"
# An AddressInput with every field, valid as it stands.
HOME = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "company": "Analytical Engines Ltd",
    "line1": "12 St James's Square",
    "line2": "Flat 3",
    "city": "London",
    "region": "Greater London",
    "postalCode": "SW1Y 4JH",
    "country": "GB",
    "phone": "+44 20 7946 0018",
}
# One with only the required fields.
OFFICE = {
    "firstName": "Grace",
    "lastName": "Hopper",
    "line1": "1 Navy Yard",
    "city": "Arlington",
    "postalCode": "22202",
    "country": "US",
}


async def add_address(gql, who: Account, address: dict[str, Any], **flags: bool | None):
    """The `addAddress` payload for `address` (an AddressInput), with isDefaultShipping and
    isDefaultBilling as given (by their GraphQL names)."""
    body = await gql(ADD_ADDRESS, {"input": {"address": address, **flags}}, headers=who.headers)
    return payload_of(body, "addAddress")


async def saved(gql, who: Account, address: dict[str, Any], **flags: bool | None):
    """A SavedAddress that `addAddress` answered without userErrors."""
    payload = await add_address(gql, who, address, **flags)
    assert payload["userErrors"] == [], payload
    return payload["address"]


async def my_addresses(gql, who: Account) -> list[dict[str, Any]]:
    body = await gql(MY_ADDRESSES, headers=who.headers)
    assert "errors" not in body, body
    return body["data"]["me"]["addresses"]


async def address_book(db, who: Account) -> dict[str, Any] | None:
    """The stored book of `who`."""
    return await db.address_books.find_one({"_id": who.id})
