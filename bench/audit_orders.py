"""Attacks through orders: holding the whole catalog (1), the query that multiplies
(2), money that overflows (9), and a stock overwrite racing an order (10)."""

import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from bench.audit_http import Answer, megabytes, watching_health
from bench.audit_report import ProbeFailed, Row, tally
from bench.audit_shop import Shop, placed_order, refused_quantity
from shopgraph.settings import Settings

DEEP_ORDERS = 15
DEEP_LINES = 50
DEEP_FIELD = (
    "orders(first: 100) { edges { node { user { orders(first: 100) { edges { node "
    "{ items { product { name } } } } } } } } }"
)
STOREFRONT_QUERY = """{ products(first: 2, filter: {category: "books", inStock: true},
  sort: {field: PRICE, direction: ASC}) {
  totalCount edges { node { sku name price { amount } } } pageInfo { hasNextPage endCursor } } }"""
CATALOG_PAGE = """query Page($after: String) {
  products(first: 100, after: $after) {
    edges { node { id sku stock } } pageInfo { hasNextPage endCursor } } }"""
BULK_STOCK = 5000
ATTACK_ORDERS = 10
MAX_LINES = 50
OLD_LINE_QUANTITY = 1000  # what one line could ask for before the cap
MAX_PRICE_LINES = 10


def _fallback_max_line_quantity() -> int:
    return Settings(_env_file=None).max_line_quantity  # type: ignore[call-arg]


def _max_held_units() -> int | None:
    """The most units one customer may hold unpaid, where the code has that limit."""
    return getattr(Settings(_env_file=None), "max_held_units", None)  # type: ignore[call-arg]


def _within(lines: list[tuple[str, int]], budget: int) -> list[tuple[str, int]]:
    """The lines cut down to `budget` units in all, in order."""
    kept = []
    for product, quantity in lines:
        if budget <= 0:
            break
        kept.append((product, min(quantity, budget)))
        budget -= kept[-1][1]
    return kept


# --- 2: one query that costs the server a lot ---------------------------------------------


async def deep_query(shop: Shop) -> list[Row]:
    """Arranges 15 paid orders of 50 lines for one customer, then asks for every order's
    user's every order's every line's product, as an admin."""
    products = [await shop.new_product(f"AUD-DEEP-{n:02d}", "1.00", 100) for n in range(DEEP_LINES)]
    buyer = await shop.customer("deep-buyer")
    for _ in range(DEEP_ORDERS):
        answer = await shop.place_order(buyer, [(product, 1) for product in products])
        order = placed_order(answer)
        if order is None:
            raise ProbeFailed(f"arranging the orders: placeOrder {answer.describe('placeOrder')}")
        await shop.pay(buyer, order["id"])
    rows = []
    for aliases in (1, 3):
        query = "{ " + " ".join(f"a{n}: {DEEP_FIELD}" for n in range(aliases)) + " }"
        async with watching_health(shop.server.base_url) as health:
            answer = await shop.as_admin(query)
        outcome = f"{answer.describe()}; {megabytes(answer.size)}; {_cost(answer)}; "
        outcome += f"/healthz worst {health.worst_ms:,.0f} ms"
        rows.append(
            Row(
                "2",
                f"deep orders query x{aliases} alias{'es' if aliases > 1 else ''}",
                outcome,
                answer.ms,
                answer.size,
            )
        )
    storefront = await shop.api.gql(STOREFRONT_QUERY)
    rows.append(
        Row(
            "2",
            "README storefront query (control)",
            f"{storefront.describe()}; {_cost(storefront)}",
            storefront.ms,
            storefront.size,
        )
    )
    for product in products:  # out of the catalog the next probes attack
        await shop.update_product(product, {"active": False})
    return rows


def _cost(answer: Answer) -> str:
    extensions = (answer.body or {}).get("extensions") or {}
    if "cost" in extensions:
        return f"extensions.cost {extensions['cost']}"
    return "no extensions.cost"


# --- 1: one fresh account holds the catalog -----------------------------------------------


async def reserve_catalog(shop: Shop) -> list[Row]:
    """A fresh account asks, order after order, for every unit it can see in stock."""
    bulk = await shop.new_product("AUD-BULK", "5.00", BULK_STOCK)
    attacker = await shop.customer("hoarder")
    stock = await _catalog_stock(shop)
    demo_total = sum(units for product, units in stock.items() if product != bulk)
    bulk_total = stock.get(bulk, 0)
    remaining = dict(stock)
    line_cap, capped_note = OLD_LINE_QUANTITY, ""
    unit_budget: int | None = None  # set once the server refuses to let one account hold more
    codes: list[str] = []
    orders: list[dict[str, Any]] = []
    start = time.perf_counter()
    for _ in range(ATTACK_ORDERS):
        wanted = [bulk] if remaining.get(bulk) else []
        wanted += [product for product, units in remaining.items() if units and product != bulk]
        lines = [(product, min(remaining[product], line_cap)) for product in wanted[:MAX_LINES]]
        if unit_budget is not None:
            lines = _within(lines, unit_budget)
        if not lines:
            break
        answer = await shop.place_order(attacker, lines, client_ip="203.0.113.10")
        order = placed_order(answer)
        if order is not None:
            codes.append("ok")
            orders.append(order)
            for product, quantity in lines:
                remaining[product] -= quantity
                if unit_budget is not None:
                    unit_budget -= quantity
            continue
        refusals = answer.user_error_codes("placeOrder")
        codes.append(refusals[0] if refusals else answer.describe("placeOrder"))
        if refused_quantity(answer) and line_cap == OLD_LINE_QUANTITY:
            line_cap = _fallback_max_line_quantity()
            capped_note = f"; a line of {OLD_LINE_QUANTITY:,} refused, went on with {line_cap:,}"
            continue
        if "TOO_MANY_HELD_UNITS" in refusals and unit_budget is None and _max_held_units():
            held = sum(stock[p] - remaining[p] for p in stock)
            unit_budget = int(_max_held_units() or 0) - held
            capped_note += f"; went on within the {_max_held_units():,} units one account may hold"
            continue
        break
    ms = (time.perf_counter() - start) * 1000
    held_demo = sum(stock[p] - remaining[p] for p in stock if p != bulk)
    held_bulk = bulk_total - remaining.get(bulk, 0)
    rows = [
        Row(
            "1",
            "one fresh account holds the catalog",
            f"held {held_demo:,}/{demo_total:,} demo units and {held_bulk:,}/{bulk_total:,} of "
            f"a {BULK_STOCK:,}-unit product in {len(orders)} unpaid orders; answers: "
            f"{tally(codes)}{capped_note}",
            ms,
        )
    ]
    rows.append(await _other_shopper(shop, remaining, bulk))
    rows.append(_hold_length(orders))
    for order in orders:  # give the shelves back for the next probes
        await shop.cancel(attacker, order["id"])
    return rows


async def _catalog_stock(shop: Shop) -> dict[str, int]:
    """Every product a shopper can see, with its stock."""
    stock: dict[str, int] = {}
    after = None
    while True:
        answer = await shop.api.gql(CATALOG_PAGE, {"after": after})
        page = answer.payload("products")
        if page is None:
            raise ProbeFailed(f"listing the catalog: {answer.describe()}")
        stock |= {edge["node"]["id"]: edge["node"]["stock"] for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return stock
        after = page["pageInfo"]["endCursor"]


async def _other_shopper(shop: Shop, remaining: dict[str, int], bulk: str) -> Row:
    """One unit of the first demo product the hoarder left any of, by someone else."""
    left = [product for product, units in remaining.items() if units and product != bulk]
    if not left:
        return Row("1", "...then another shopper buys 1 unit", "nothing left to buy")
    shopper = await shop.customer("other-shopper")
    answer = await shop.place_order(shopper, [(left[0], 1)])
    order = placed_order(answer)
    if order is not None:
        await shop.cancel(shopper, order["id"])
    demo = sum(1 for product in remaining if product != bulk)
    outcome = f"{answer.describe('placeOrder')} ({len(left)}/{demo} demo products still in stock)"
    return Row("1", "...then another shopper buys 1 unit", outcome, answer.ms)


def _hold_length(orders: list[dict[str, Any]]) -> Row:
    if not orders or not orders[0].get("holdExpiresAt"):
        return Row("1", "...how long the stock is held", "no order was placed to measure")
    created = datetime.fromisoformat(orders[0]["createdAt"])
    expires = datetime.fromisoformat(orders[0]["holdExpiresAt"])
    minutes = (expires - created).total_seconds() / 60
    outcome = f"holdExpiresAt - createdAt = {minutes:.0f} min"
    return Row("1", "...how long the stock is held", outcome)


# --- 9: an order total beyond 64 bits -----------------------------------------------------


def _max_prices() -> list[Decimal]:
    """The highest price the checked-out code documents (in the store's major unit) first,
    then the older, larger limits."""
    from shopgraph import money

    limits = [getattr(money, name, None) for name in ("MAX_PRICE", "MAX_MINOR_UNITS")]
    minor = [limit for limit in limits if isinstance(limit, int)] + [10**15]
    return [Decimal(units).scaleb(-2) for units in dict.fromkeys(minor)]


async def _priciest_products(shop: Shop) -> tuple[list[str], Decimal]:
    """Ten products at the highest price `createProduct` accepts."""
    refusals = []
    for price in _max_prices():
        answer = await shop.create_product("AUD-MAX-00", price, OLD_LINE_QUANTITY, required=False)
        first = (answer.payload("createProduct") or {}).get("product")
        if first is not None:
            products = [str(first["id"])]
            for n in range(1, MAX_PRICE_LINES):
                products.append(
                    await shop.new_product(f"AUD-MAX-{n:02d}", str(price), OLD_LINE_QUANTITY)
                )
            return products, price
        refusals.append(f"{price:,}: {answer.describe('createProduct')}")
    raise ProbeFailed("createProduct refused every price tried (" + "; ".join(refusals) + ")")


async def overflowing_order(shop: Shop) -> list[Row]:
    products, price = await _priciest_products(shop)
    buyer = await shop.customer("big-spender")
    log_before = shop.server.log()
    quantity, note = OLD_LINE_QUANTITY, ""
    answer = await shop.place_order(buyer, [(product, quantity) for product in products])
    if refused_quantity(answer):
        quantity = _fallback_max_line_quantity()
        note = f"{OLD_LINE_QUANTITY:,}/line refused ({answer.describe('placeOrder')}); then "
        answer = await shop.place_order(buyer, [(product, quantity) for product in products])
    if "TOO_MANY_HELD_UNITS" in answer.user_error_codes("placeOrder") and _max_held_units():
        quantity = int(_max_held_units() or 0) // MAX_PRICE_LINES
        note += "over the units one account may hold; then "
        answer = await shop.place_order(buyer, [(product, quantity) for product in products])
    logged = shop.server.log()[len(log_before) :]
    order = placed_order(answer)
    outcome = (
        note + f"{MAX_PRICE_LINES} x {price:,} x {quantity:,}: {answer.describe('placeOrder')}"
    )
    if order is not None:
        outcome += f", total {order['total']['amount']}"
        await shop.cancel(buyer, order["id"])
    if "Traceback" in logged:
        exception = [line for line in logged.splitlines() if "Error" in line][-1:]
        outcome += f"; the server logged a traceback ({' '.join(exception)[:60]})"
    for product in products:
        await shop.update_product(product, {"active": False})
    return [Row("9", "ten lines at the maximum price", outcome, answer.ms, answer.size)]


# --- 10: updateProduct(stock:) racing an order and its cancellation -----------------------


async def stock_overwrite(shop: Shop) -> list[Row]:
    """The admin reads 10 and means +5; meanwhile a customer takes 3 and later cancels.
    Exact bookkeeping ends at 15 if the admin's change applied, 10 if it was refused."""
    product = await shop.new_product("AUD-RACE", "3.00", 10)
    seen = await shop.stock(product)
    buyer = await shop.customer("racer")
    order = placed_order(await shop.place_order(buyer, [(product, 3)]))
    if order is None or seen is None:
        raise ProbeFailed("could not place the racing order")
    answer = await shop.update_product(product, {"stock": seen + 5})
    note = ""
    if "expectedStock" in str(answer.body):  # the server asks for the stock the admin saw
        note = f"{answer.describe('updateProduct')}; with expectedStock: {seen} → "
        answer = await shop.update_product(product, {"stock": seen + 5, "expectedStock": seen})
    applied = bool((answer.payload("updateProduct") or {}).get("product")) and not (
        answer.user_error_codes("updateProduct") or answer.errors
    )
    await shop.cancel(buyer, order["id"])
    final = await shop.stock(product)
    exact = seen + 5 if applied else seen
    verdict = "exact" if final == exact else f"{(final or 0) - exact:+d} units that do not exist"
    outcome = (
        f"saw {seen}, an order took 3, updateProduct(stock: {seen + 5}) → "
        f"{note}{answer.describe('updateProduct')}; order cancelled; final stock {final} "
        f"(exact: {exact}, {verdict})"
    )
    await shop.update_product(product, {"active": False})
    return [Row("10", "updateProduct(stock:) vs. an order", outcome, answer.ms)]
