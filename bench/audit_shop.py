"""The audited shop as the probes reach it: the API, its database, an admin, and the
product and order requests that several probes make.

Arranging goes through the API wherever it can, so that the audit arranges data the way
the checked-out code stores it; the database is read to see what a response hides.
"""

import base64
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from bench.audit_http import Account, Answer, Api
from bench.audit_report import ProbeFailed
from bench.audit_server import AuditServer

PASSWORD = "audit password 1"

CREATE_PRODUCT = """mutation Create($input: ProductCreateInput!) {
  createProduct(input: $input) { product { id stock } userErrors { code field message } }
}"""
UPDATE_PRODUCT = """mutation Update($id: ID!, $input: ProductUpdateInput!) {
  updateProduct(id: $id, input: $input) { product { id stock } userErrors { code field message } }
}"""
PRODUCT_STOCK = "query Stock($id: ID!) { product(id: $id) { stock } }"
PLACE_ORDER = """mutation Place($items: [OrderLineInput!]!) {
  placeOrder(input: {items: $items}) {
    order { id number status total { amount } createdAt holdExpiresAt }
    userErrors { code field message }
  }
}"""
PAY_ORDER = """mutation Pay($id: ID!) {
  payOrder(id: $id, payment: {token: "tok_visa"}) { order { status } userErrors { code } }
}"""
CANCEL_ORDER = """mutation Cancel($id: ID!) {
  cancelOrder(id: $id) { order { status } userErrors { code } }
}"""


def object_id(global_id: str) -> ObjectId:
    """The database id inside a global ID (base64 of `Type:ObjectId`)."""
    return ObjectId(base64.b64decode(global_id).decode().split(":", 1)[1])


def global_id(type_name: str, id_: ObjectId) -> str:
    return base64.b64encode(f"{type_name}:{id_}".encode()).decode()


@dataclass
class Shop:
    server: AuditServer
    api: Api
    mongo: AsyncMongoClient[dict[str, Any]]
    admin: Account
    _setup_addresses: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]]:
        return self.mongo[self.server.environment.get("SHOPGRAPH_DB_NAME", "shopgraph")]

    def setup_address(self) -> str:
        """A client address of its own for each arranged account (192.0.2.0/24, TEST-NET-1),
        so no throttle an attack trips holds up the audit's own requests."""
        n = next(self._setup_addresses)
        return f"192.0.2.{n % 250 + 1}" if n < 250 else f"192.0.{2 + n // 250}.{n % 250 + 1}"

    async def customer(self, name: str) -> Account:
        return await self.api.register(f"{name}@audit.test", PASSWORD, self.setup_address())

    async def as_admin(self, query: str, variables: dict[str, Any] | None = None) -> Answer:
        return await self.api.gql(query, variables, token=self.admin.access_token)

    async def create_product(
        self, sku: str, price: str | Decimal, stock: int, *, required: bool = True
    ) -> Answer:
        variables = {
            "input": {"sku": sku, "name": f"Audit {sku}", "price": str(price), "stock": stock}
        }
        answer = await self.as_admin(CREATE_PRODUCT, variables)
        if required and not ((answer.payload("createProduct") or {}).get("product")):
            raise ProbeFailed(f"createProduct {sku}: {answer.describe('createProduct')}")
        return answer

    async def new_product(self, sku: str, price: str, stock: int) -> str:
        """The product's global ID."""
        answer = await self.create_product(sku, price, stock)
        return str((answer.payload("createProduct") or {})["product"]["id"])

    async def update_product(self, product_id: str, changes: dict[str, Any]) -> Answer:
        return await self.as_admin(UPDATE_PRODUCT, {"id": product_id, "input": changes})

    async def stock(self, product_id: str) -> int | None:
        """As an admin sees it through the API (inactive products included)."""
        answer = await self.as_admin(PRODUCT_STOCK, {"id": product_id})
        product = (answer.payload("product") or {}).get("stock") if answer.body else None
        return product if isinstance(product, int) else await self.stock_in_db(product_id)

    async def stock_in_db(self, product_id: str) -> int | None:
        document = await self.db.products.find_one({"_id": object_id(product_id)}, {"stock": 1})
        return None if document is None else int(document["stock"])

    async def place_order(
        self, account: Account, lines: list[tuple[str, int]], client_ip: str | None = None
    ) -> Answer:
        items = [{"productId": product_id, "quantity": quantity} for product_id, quantity in lines]
        return await self.api.gql(
            PLACE_ORDER, {"items": items}, token=account.access_token, client_ip=client_ip
        )

    async def pay(self, account: Account, order_id: str) -> Answer:
        return await self.api.gql(PAY_ORDER, {"id": order_id}, token=account.access_token)

    async def cancel(self, account: Account, order_id: str) -> Answer:
        return await self.api.gql(CANCEL_ORDER, {"id": order_id}, token=account.access_token)


def placed_order(answer: Answer) -> dict[str, Any] | None:
    return (answer.payload("placeOrder") or {}).get("order")


def refused_quantity(answer: Answer) -> bool:
    """The order was refused for a line's quantity (a per-line cap), not for its stock:
    as a userError on a `quantity` field, or as an error that says so."""
    payload = answer.payload("placeOrder") or {}
    for error in payload.get("userErrors") or []:
        about = " ".join(map(str, error.get("field") or [])) + " " + str(error.get("message"))
        if error.get("code") == "INVALID" and "quantity" in about.lower():
            return True
    return any("quantity" in str(error.get("message", "")).lower() for error in answer.errors)
