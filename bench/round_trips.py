"""Round-trip rows of `make bench` (issue 13, goal 4): how many MongoDB commands a page of
orders and a full cart cost, for 1 order (line) and for 20, counted by a pymongo
CommandListener over the in-process ASGI app (counts, not times, so no server is needed).

Two numbers per page: the commands sent, and the round trips, i.e. the waits on MongoDB
one after the other (commands sent while another is still in flight share its wait: the
buyers and the products of a page are read at the same time). The queries are ADMIN_PAGE,
MY_PAGE and bench.carts.FULL_CART below; a signed-in request's first read is always the
caller's account (the session check), counted here like any other.
"""

import asyncio
import base64
import pathlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from bson import ObjectId
from pymongo.monitoring import CommandListener, CommandStartedEvent

from bench.carts import CREATE, CREATE_CODE, CREATE_METHOD, FULL_CART, SET_TAX, SETUP, data_of
from bench.record import Row
from shopgraph.auth.passwords import passwords_from
from shopgraph.auth.secret import access_tokens_from
from shopgraph.auth.tokens import new_session_id
from shopgraph.datasources.products import LIVE_FEED
from shopgraph.server.app import create_app
from shopgraph.server.embedded import EmbeddedMongo
from shopgraph.settings import Settings

ADMIN_PAGE = """query Page($first: Int) { orders(first: $first) { edges { node {
  number status total { amount currency } user { name email }
  items { sku quantity lineTotal { amount } product { name }
          variant { id sku title stock price { amount } } }
} } } }"""
MY_PAGE = """query Mine($first: Int) { me { name orders(first: $first) { edges { node {
  number status total { amount } user { name }
  items { quantity product { name } variant { sku title stock } }
} } } } }"""
ORDERS = 25
SIZES = 20  # the page size measured against 1
ORDER_GOAL = 3


class RoundTrips(CommandListener):
    """Commands sent while `counting`, and how many of them started with nothing else in
    flight (each such start is one more wait on MongoDB)."""

    def __init__(self) -> None:
        self.counting = False
        self.commands = 0
        self.round_trips = 0
        self._in_flight: set[int] = set()

    def started(self, event: CommandStartedEvent) -> None:
        if not self.counting or event.command.get("comment") == LIVE_FEED:
            return
        self.commands += 1
        if not self._in_flight:
            self.round_trips += 1
        self._in_flight.add(event.request_id)

    def succeeded(self, event: Any) -> None:
        self._in_flight.discard(event.request_id)

    def failed(self, event: Any) -> None:
        self._in_flight.discard(event.request_id)

    async def count(self, request: Callable[[], Awaitable[object]]) -> tuple[int, int]:
        """(commands, round trips) of one request, after two unmeasured ones (so the
        connection pool holds enough connections for concurrent reads). Round trips are
        the fewest of five requests: reads sent together can still start one after the
        other when the machine is busy, which only ever adds to the count."""
        for _ in range(2):
            await request()
        counted = []
        for _ in range(5):
            self.counting, self.commands, self.round_trips = True, 0, 0
            self._in_flight.clear()
            try:
                await request()
            finally:
                self.counting = False
            counted.append((self.commands, self.round_trips))
        return max(commands for commands, _ in counted), min(trips for _, trips in counted)


def _line(product: dict[str, Any], variant: dict[str, Any] | None) -> dict[str, Any]:
    chosen = variant or product
    return {
        "productId": product["_id"],
        **({"variantId": variant["_id"], "variantTitle": "42"} if variant else {}),
        "sku": chosen["sku"],
        "name": product["name"],
        "unitPrice": chosen["price"],
        "quantity": 1,
        "lineTotal": chosen["price"],
    }


def _catalog_and_orders(owners: list[ObjectId]) -> tuple[list[dict], list[dict]]:
    """ORDERS orders of three lines each (a plain product and two sizes of two shoes),
    all different products, by turns of `owners`."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    products, orders = [], []
    for n in range(ORDERS):
        plain = {"_id": ObjectId(), "sku": f"RT-MUG-{n}", "name": f"Mug {n}", "price": 900}
        shoes = []
        for k in range(2):
            variants = [
                {"_id": ObjectId(), "sku": f"RT-SHOE-{n}-{k}-{size}", "price": 5000 + size}
                | {"selectedOptions": [{"name": "Size", "value": str(size)}]}
                for size in (41, 42)
            ]
            shoes.append(
                {"_id": ObjectId(), "sku": f"RT-SHOE-{n}-{k}", "name": f"Shoe {n}.{k}"}
                | {"price": 5041, "variants": variants, "stock": 7}
                | {"options": [{"name": "Size", "values": ["41", "42"]}]}
                | {"variantStock": {str(variants[0]["_id"]): 3, str(variants[1]["_id"]): 4}}
            )
        for product in (plain, *shoes):
            product |= {
                "description": "A description the page does not show. " * 20,
                "category": "bench",
                "tags": [],
                "active": True,
                "createdAt": start,
                "updatedAt": start,
            }
        products += [plain, *shoes]
        lines = [_line(plain, None), *(_line(shoe, shoe["variants"][1]) for shoe in shoes)]
        total = sum(line["lineTotal"] for line in lines)
        created = start + timedelta(minutes=n)
        orders.append(
            {
                "_id": ObjectId(),
                "number": 10_000 + n,
                "userId": owners[n % len(owners)],
                "email": "buyer@bench.test",
                "items": lines,
                "subtotal": total,
                "total": total,
                "currency": "USD",
                "status": "PAID",
                "createdAt": created,
                "updatedAt": created,
            }
        )
    return products, orders


async def _measure(uri: str, work_dir: pathlib.Path) -> dict[str, dict[int, tuple[int, int]]]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        mongodb_uri=uri,
        data_dir=work_dir,
        background_tasks=False,
    )
    listener = RoundTrips()
    app = create_app(settings, mongo_listeners=[listener])
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://bench"
        ) as client,
    ):
        datasources = app.state.datasources
        password_hash = await passwords_from(settings).hash("bench pw 1")
        tokens = access_tokens_from(settings)

        async def account(email: str, role: str) -> tuple[ObjectId, dict[str, str]]:
            user = await datasources.users.create(email, "Bench", password_hash, role)
            token = tokens.issue(str(user["_id"]), role, new_session_id())
            return user["_id"], {"Authorization": f"Bearer {token}"}

        _, admin = await account("rt-admin@bench.test", "ADMIN")
        buyers = [await account(f"rt-buyer{n}@bench.test", "CUSTOMER") for n in range(4)]
        products, orders = _catalog_and_orders([user_id for user_id, _ in buyers])
        await datasources.products.collection.insert_many(products)
        await datasources.orders.collection.insert_many(orders)

        async def post(query: str, variables: dict[str, object], headers=None) -> dict:
            return await data_of(client, query, variables, headers)

        counts: dict[str, dict[int, tuple[int, int]]] = {"admin": {}, "me": {}, "cart": {}}
        for size in (1, SIZES):
            data = await post(ADMIN_PAGE, {"first": size}, admin)
            assert len(data["orders"]["edges"]) == size, data
            counts["admin"][size] = await listener.count(
                lambda size=size: post(ADMIN_PAGE, {"first": size}, admin)
            )
            counts["me"][size] = await listener.count(
                lambda size=size: post(MY_PAGE, {"first": size}, buyers[0][1])
            )

        method = (await post(CREATE_METHOD, {}, admin))["createShippingMethod"]
        await post(CREATE_CODE, {}, admin)
        await post(SET_TAX, {}, admin)
        plain = [p for p in products if "variantStock" not in p][:SIZES]
        for lines in (1, SIZES):
            cart_lines = [
                {
                    "productId": base64.b64encode(f"Product:{p['_id']}".encode()).decode(),
                    "quantity": 1,
                }
                for p in plain[:lines]
            ]
            created = await post(CREATE, {"input": {"lines": cart_lines, "email": "b@e.ch"}})
            cart_id = created["cartCreate"]["cart"]["id"]
            await post(SETUP["address"], {"cartId": cart_id})
            await post(
                SETUP["method"], {"cartId": cart_id, "method": method["shippingMethod"]["id"]}
            )
            await post(SETUP["code"], {"cartId": cart_id})
            data = await post(FULL_CART, {"id": cart_id})
            assert len(data["cart"]["lines"]) == lines, data
            counts["cart"][lines] = await listener.count(
                lambda cart_id=cart_id: post(FULL_CART, {"id": cart_id})
            )
        return counts


def rows(work_dir: pathlib.Path) -> list[Row]:
    with EmbeddedMongo("memory", log_dir=work_dir) as db:
        counts = asyncio.run(_measure(db.uri, work_dir))
    result = []
    pages = [
        ("admin", "orders page (admin `orders`)", "orders", ORDER_GOAL),
        ("me", "orders page (`me { orders }`)", "orders", ORDER_GOAL),
        ("cart", "cart (`cart`, cost and problems)", "lines", None),
    ]
    for key, what, unit, most in pages:
        (commands_1, trips_1), (commands_n, trips_n) = counts[key][1], counts[key][SIZES]
        bound = f"<= {most}, " if most else ""
        result.append(
            Row(
                f"round trips: {what}, {SIZES} {unit}",
                trips_n,
                "round trips",
                trips_1,
                f"1 {unit.removesuffix('s')}",
                f"{bound}not more than for 1",
                trips_n <= trips_1 and (most is None or trips_n <= most),
            )
        )
        result.append(
            Row(
                f"commands: {what}, {SIZES} {unit}",
                commands_n,
                "commands",
                commands_1,
                f"1 {unit.removesuffix('s')}",
                "not more than for 1",
                commands_n <= commands_1,
            )
        )
    return result
