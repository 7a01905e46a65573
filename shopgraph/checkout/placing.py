"""Placing an order: all of its stock or none of it, and one order per idempotency key.

1. The order is inserted first, in the internal state RESERVING. With an idempotency key
   the unique index makes this the claim: of racing retries exactly one inserts, and the
   others wait for that one's outcome instead of taking stock themselves.
   Its total was checked first (`MAX_ORDER_TOTAL`), so nothing too large is stored.
2. The customer's unpaid orders, this one included, are counted, and so are their units.
   Over either limit, the order is deleted (it took nothing yet, and its key is free again)
   and refused. Counting after recording makes racing attempts of one customer see each
   other: under a race one may be refused needlessly, but more than the limits are never
   admitted. (An order that alone has more units than the limit is refused before step 1.)
3. Each product takes the stock of all the order's lines of its variants with one
   conditional update that leaves a hold marker (see `datasources.stock_holds`). If a line
   is short, the products already taken are released and the order is deleted, freeing the
   key for a later retry.
4. The order gets its number, becomes PENDING, and the markers are removed.

Where MongoDB supports transactions (a replica set), steps 3 and 4 run in one, so a
failure simply aborts. Either way, a process that dies midway leaves a RESERVING order or
markers behind, which the recovery sweep (`checkout.sweeps`) undoes.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from itertools import groupby
from typing import Protocol

from bson import ObjectId

from shopgraph.checkout.deps import Checkout
from shopgraph.checkout.line_variants import variant_of, why_short, with_variants
from shopgraph.checkout.order_lines import OrderLine, cart_key
from shopgraph.checkout.order_states import UNPAID, UNPLACED, OrderStatus
from shopgraph.clock import utc_now
from shopgraph.datasources.base import DatabaseError, Session
from shopgraph.datasources.orders import DuplicateIdempotencyKey
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode
from shopgraph.money import MAX_ORDER_TOTAL, format_amount

logger = logging.getLogger("shopgraph.checkout")

KEY_WAIT_SECONDS = 10.0


async def place_order(
    checkout: Checkout, user_id: ObjectId, lines: Sequence[OrderLine], key: str | None
) -> Document:
    """`lines` come merged (one per variant, or product) and sorted by product id.
    Raises DomainError."""
    within_held_units(checkout, lines)
    datasources = checkout.datasources
    cart = cart_key(lines)
    if key is not None:
        existing = await datasources.orders.by_idempotency_key(user_id, key)
        if existing is not None:
            return await _same_cart(checkout, existing, cart)
    products = await datasources.products.by_ids([line.product_id for line in lines], None)
    lines = with_variants(lines, products, checkout.limits.max_line_quantity)
    order = _new_order(checkout, user_id, lines, products, cart, key)
    try:
        await datasources.orders.insert(order)
    except DuplicateIdempotencyKey:
        existing = await _settled(checkout, user_id, str(key))
        if existing is None:
            raise DomainError(
                ErrorCode.OUT_OF_STOCK, "The first request with this idempotency key failed; retry."
            ) from None
        return await _same_cart(checkout, existing, cart)
    await open_order(checkout, order, lines, products)
    return order


class Claim(Protocol):
    """Something besides stock an order takes while it is placed, such as a discount
    code's use: taken after the customer's limits pass and before the stock, given back
    when the stock cannot be had."""

    async def take(self) -> None: ...

    async def give_back(self) -> None: ...


async def open_order(
    checkout: Checkout,
    order: Document,
    lines: Sequence[OrderLine],
    products: dict[ObjectId, Document],
    claims: Sequence[Claim] = (),
) -> None:
    """Steps 2 to 4 for an order just inserted: limits, claims, stock, PENDING.
    Raises DomainError, having deleted the order and given back what it took."""
    await _within_customer_limits(checkout, order)
    taken: list[Claim] = []
    try:
        for claim in claims:
            await claim.take()
            taken.append(claim)
        await _reserve(checkout, order, lines, products)
    except BaseException:
        for claim in taken:
            await claim.give_back()
        await checkout.datasources.orders.delete_if(order["_id"], UNPLACED)
        raise
    checkout.events.placed(order)


def _new_order(
    checkout: Checkout,
    user_id: ObjectId,
    lines: Sequence[OrderLine],
    products: dict[ObjectId, Document],
    cart: str,
    key: str | None,
) -> Document:
    items = order_items(lines, products)
    subtotal = sum(item["lineTotal"] for item in items)
    check_amounts(checkout, [item["lineTotal"] for item in items] + [subtotal])
    order = new_order(checkout, user_id, items)
    order.update(subtotal=subtotal, total=subtotal, cartKey=cart)  # no shipping or tax
    if key is not None:
        order["idempotencyKey"] = key
    return order


def order_items(lines: Sequence[OrderLine], products: dict[ObjectId, Document]) -> list[Document]:
    """What each line buys, as the order keeps it: today's name, SKU and price."""
    items = []
    for line in lines:
        product, variant = products[line.product_id], variant_of(products, line)
        items.append(
            {
                "productId": product["_id"],
                "variantId": variant.id,
                "sku": variant.sku,
                "name": product["name"],
                # As a storefront shows it; none for a product's only, default variant.
                "variantTitle": variant.title if variant.selected_options else None,
                "unitPrice": variant.price,
                "quantity": line.quantity,
                "lineTotal": variant.price * line.quantity,
            }
        )
    return items


def new_order(checkout: Checkout, user_id: ObjectId | None, items: list[Document]) -> Document:
    """An order about to take its stock; the caller adds its amounts."""
    now = utc_now()
    return {
        "_id": ObjectId(),
        "userId": user_id,
        "items": items,
        "currency": checkout.currency,
        "status": UNPLACED,
        "createdAt": now,
        "updatedAt": now,
        "holdExpiresAt": now + checkout.hold,
    }


def check_amounts(checkout: Checkout, amounts: Sequence[int]) -> None:
    """Every amount an order stores stays within `MAX_ORDER_TOTAL`, so none can exceed
    MongoDB's 64-bit integers (prices may have been written by other programs)."""
    if any(abs(amount) > MAX_ORDER_TOTAL for amount in amounts):
        raise DomainError(
            ErrorCode.AMOUNT_TOO_LARGE,
            f"An order may come to at most {format_amount(MAX_ORDER_TOTAL, checkout.currency)};"
            " order fewer units, or split the order.",
            "input.items",
        )


def within_held_units(checkout: Checkout, lines: Sequence[OrderLine]) -> None:
    """Refuses, before any order or stock is read or stored, an order that alone has more
    units than one customer may hold unpaid."""
    most = checkout.limits.max_held_units
    units = sum(line.quantity for line in lines)
    if units > most:
        raise DomainError(
            ErrorCode.TOO_MANY_HELD_UNITS,
            f"You may hold at most {most} units in unpaid orders, and this order has {units}:"
            " order fewer, and pay for one order before placing the next.",
            "input.items",
        )


async def _within_customer_limits(checkout: Checkout, order: Document) -> None:
    """Refuses, and deletes, the just-recorded order when it makes the customer's unpaid
    orders too many, or the units they hold together too many. One read tells both."""
    datasources = checkout.datasources
    at_most = checkout.limits.max_pending_orders + 1
    if order["userId"] is None:  # a guest: their orders are those to their email
        unpaid = await datasources.orders.line_quantities_of_guest(
            order["guestEmail"], UNPAID, at_most
        )
    else:
        unpaid = await datasources.orders.line_quantities_of_user(order["userId"], UNPAID, at_most)
    refusal = _over_limits(checkout, order, unpaid)
    if refusal is None:
        return
    await datasources.orders.delete_if(order["_id"], UNPLACED)
    raise refusal


def _over_limits(
    checkout: Checkout, order: Document, unpaid: Sequence[Sequence[int]]
) -> DomainError | None:
    """Why the customer's unpaid orders (`order` among them, as line quantities) are more
    than allowed, if they are. Past the order limit the read stopped early, so the units
    are judged only within it."""
    limits = checkout.limits
    expiry = (
        f"Unpaid orders are also cancelled {checkout.hold.total_seconds() / 60:.0f} minutes"
        " after they are placed."
    )
    if len(unpaid) > limits.max_pending_orders:
        return DomainError(
            ErrorCode.TOO_MANY_PENDING_ORDERS,
            f"You already have {limits.max_pending_orders} unpaid orders, the most one customer"
            f" may have: pay for one or cancel it, then place this order again. {expiry}",
        )
    units = sum(item["quantity"] for item in order["items"])
    held = sum(sum(quantities) for quantities in unpaid) - units
    if held + units > limits.max_held_units:
        return DomainError(
            ErrorCode.TOO_MANY_HELD_UNITS,
            f"You may hold at most {limits.max_held_units} units in unpaid orders, and yours"
            f" already hold {held}, too many to add these {units}: pay for an order or cancel"
            f" one, then place this order again. {expiry}",
        )
    return None


async def _reserve(
    checkout: Checkout,
    order: Document,
    lines: Sequence[OrderLine],
    products: dict[ObjectId, Document],
) -> None:
    datasources = checkout.datasources
    order_key = str(order["_id"])
    product_ids = list(dict.fromkeys(line.product_id for line in lines))
    try:
        if checkout.transactions:

            async def take_and_open(session: Session) -> None:
                await _take_and_open(checkout, order, lines, products, session)
                await datasources.stock_holds.settle(product_ids, order_key, session)

            await datasources.in_transaction(take_and_open)
        else:
            await _take_and_open(checkout, order, lines, products, None)
    except Exception:
        # Only an order that never opened gives its stock back; an aborted transaction
        # left no holds, and `release` is then a no-op.
        if await datasources.orders.delete_if(order["_id"], UNPLACED):
            for product_id in product_ids:
                await datasources.stock_holds.release(product_id, order_key)
        raise
    order["status"] = OrderStatus.PENDING
    if not checkout.transactions:
        try:
            await datasources.stock_holds.settle(product_ids, order_key)
        except DatabaseError:
            logger.warning("order %s: hold markers left for the sweep to settle", order_key)


async def _take_and_open(
    checkout: Checkout,
    order: Document,
    lines: Sequence[OrderLine],
    products: dict[ObjectId, Document],
    session: Session | None,
) -> None:
    datasources = checkout.datasources
    order_key = str(order["_id"])
    for product_id, of_product in groupby(lines, key=lambda line: line.product_id):
        wanted = list(of_product)
        quantities = {variant_of(products, line).id: line.quantity for line in wanted}
        taken = await datasources.stock_holds.take(
            products[product_id], order_key, quantities, session
        )
        if taken is None:
            raise await _short(checkout, wanted, order)
    # Numbered only once it has its stock, so failed attempts leave no gaps.
    number = await datasources.counters.next("orderNumber")
    opened = {"status": OrderStatus.PENDING, "number": number}
    if not await datasources.orders.set_if(order["_id"], UNPLACED, opened, session):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "The order was abandoned while it was placed."
        )
    order["number"] = number


async def _short(checkout: Checkout, lines: Sequence[OrderLine], order: Document) -> DomainError:
    found = await checkout.datasources.products.by_ids([lines[0].product_id], None)
    return why_short(found.get(lines[0].product_id), lines, order)


async def _settled(checkout: Checkout, user_id: ObjectId, key: str) -> Document | None:
    """The order a concurrent request with this key placed, once it is placed (or gone)."""
    return await settled(lambda: checkout.datasources.orders.by_idempotency_key(user_id, key))


async def settled(find: Callable[[], Awaitable[Document | None]]) -> Document | None:
    """The order `find` reads, once it is placed (or gone): a concurrent request may still
    be taking its stock."""
    deadline = asyncio.get_running_loop().time() + KEY_WAIT_SECONDS
    while True:
        order = await find()
        if order is None or order["status"] != UNPLACED:
            return order
        if asyncio.get_running_loop().time() > deadline:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, "This order is still being placed; retry."
            )
        await asyncio.sleep(0.05)


async def _same_cart(checkout: Checkout, existing: Document, cart: str) -> Document:
    if existing.get("cartKey") != cart:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was used for a different order.",
            "input.idempotencyKey",
        )
    if existing["status"] == UNPLACED:
        settled = await _settled(checkout, existing["userId"], existing["idempotencyKey"])
        if settled is None:
            raise DomainError(
                ErrorCode.OUT_OF_STOCK, "The first request with this key failed; retry."
            )
        return settled
    return existing
