"""Cancelling an order: by its owner, an admin, or the hold running out.

The status change is one conditional update, so of racing cancels (and the expiry task)
exactly one wins; only the winner returns the stock and refunds. Returning each line is
itself exactly-once (`return_stock`), so the recovery sweeps of any number of processes
can finish a return a crashed or stalled process started without doubling it.
"""

import logging
from collections.abc import Sequence

from bson import ObjectId

from shopgraph.checkout.deps import Checkout
from shopgraph.checkout.order_states import (
    CANCELLABLE,
    UNPLACED,
    OrderStatus,
    Step,
    invalid_transition,
)
from shopgraph.clock import now_ms
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode
from shopgraph.integrations.payments import PaymentUnavailable, with_retries

logger = logging.getLogger("shopgraph.checkout")


async def cancel_order(
    checkout: Checkout,
    order_id: ObjectId,
    reason: str,
    from_statuses: Sequence[OrderStatus] = CANCELLABLE,
) -> Document:
    """Raises DomainError INVALID_TRANSITION when the order cannot be cancelled (any more)."""
    orders = checkout.datasources.orders
    cancelled = await _take_cancellation(checkout, order_id, reason, from_statuses)
    if cancelled is None:
        current = await orders.by_id(order_id, UNPLACED)
        if current is None:
            raise DomainError(ErrorCode.NOT_FOUND, "There is no such order.", "id")
        raise invalid_transition(current["status"], "cancelled")
    checkout.events.cancelled(cancelled)
    await return_stock(checkout, cancelled)
    if cancelled.get("payment"):
        await refund(checkout, cancelled)
    return await orders.by_id(order_id, UNPLACED) or cancelled


async def _take_cancellation(
    checkout: Checkout, order_id: ObjectId, reason: str, from_statuses: Sequence[OrderStatus]
) -> Document | None:
    """One status at a time, so the update that cancels a PAID order is the one that marks
    its refund as owed: the sweep retries a refund only when the order says it is owed."""
    for status in from_statuses:
        changes: Document = {
            "cancelReason": reason,
            "cancelledAtMs": now_ms(),
            "stockReturn": Step.OWED,
        }
        if status is OrderStatus.PAID:
            changes["refund"] = {"status": Step.OWED}
        cancelled = await checkout.datasources.orders.transition(
            order_id, [status], OrderStatus.CANCELLED, changes
        )
        if cancelled is not None:
            return cancelled
    return None


async def return_stock(checkout: Checkout, order: Document) -> None:
    """Gives each product the order's units back exactly once, however many processes run
    this at once for the same order, and wherever any of them stops.

    A product takes the units of all its variants back in one update that also leaves the marker
    `returns.<order>`, and only without it, so of racing returns one applies. Once every
    product has its marker the order records its stock as back, and only then are the
    markers removed; removing one moves the product's return epoch on in the same update,
    and a return applies only at the epoch it read. The epoch is read before the order:
    a process that still finds the order owing read an epoch from before any removal, so
    its update fails once a marker is gone instead of returning the units again.
    """
    holds, orders = checkout.datasources.stock_holds, checkout.datasources.orders
    await give_back_discount(checkout, order)
    order_key = str(order["_id"])
    quantities = quantities_by_product(order)
    while products := await holds.unreturned(quantities, order_key):
        current = await orders.by_id(order["_id"], UNPLACED)
        if current is None or current.get("stockReturn") != Step.OWED:
            return  # another process gave it all back
        for product_id, product in products.items():
            await holds.give_back(product, order_key, quantities[product_id])
    await orders.update(order["_id"], {"stockReturn": Step.DONE})
    await holds.forget_returns(quantities, order_key)


async def give_back_discount(checkout: Checkout, order: Document) -> None:
    """A discount code's use counts again once its order is cancelled or never placed.
    The use is the order's one document (`DiscountUses`), so however many processes give
    it back, it comes back once; before the stock, so a sweep that finishes the stock
    finds the use given back too."""
    if order.get("discounts"):
        await checkout.datasources.discount_uses.delete(order["_id"])


def quantities_by_product(order: Document) -> dict[ObjectId, dict[ObjectId, int]]:
    """The order's units per product and variant; lines stored before variants took from
    the product's default variant, whose id is the product's."""
    quantities: dict[ObjectId, dict[ObjectId, int]] = {}
    for item in order["items"]:
        variant_id = item.get("variantId", item["productId"])
        of_product = quantities.setdefault(item["productId"], {})
        of_product[variant_id] = of_product.get(variant_id, 0) + item["quantity"]
    return quantities


async def forget_finished_return(checkout: Checkout, product_id: ObjectId, order_key: str) -> None:
    """Removes a return marker a process left when it stopped between recording the return
    and removing its markers; a return still owed keeps its markers."""
    if ObjectId.is_valid(order_key):
        order = await checkout.datasources.orders.by_id(ObjectId(order_key), UNPLACED)
        if order is not None and order.get("stockReturn") == Step.OWED:
            return
    await checkout.datasources.stock_holds.forget_returns([product_id], order_key)


async def refund_charge(checkout: Checkout, payment: Document) -> str:
    """Gives one charge back; keyed by the charge, so retries never refund it twice.
    Raises PaymentUnavailable."""
    return await with_retries(
        lambda: checkout.gateway.refund(
            payment["reference"], payment["amount"], f"{payment['reference']}:refund"
        )
    )


async def refund_stray_charge(checkout: Checkout, order_id: ObjectId, payment: Document) -> None:
    """A charge that did not pay its order goes back; recorded first, so the sweep
    retries a refund that fails now."""
    await checkout.datasources.stray_charges.record(order_id, payment)
    await refund_recorded_stray_charge(checkout, payment)


async def refund_recorded_stray_charge(checkout: Checkout, payment: Document) -> None:
    try:
        reference = await refund_charge(checkout, payment)
    except PaymentUnavailable as error:
        logger.error(
            "refund of charge %s failed; the sweep retries it: %s", payment["reference"], error
        )
        return
    await checkout.datasources.stray_charges.refunded(payment["reference"], reference)


async def refund(checkout: Checkout, order: Document) -> None:
    payment = order["payment"]
    try:
        reference = await refund_charge(checkout, payment)
    except PaymentUnavailable as error:
        logger.error("refund of order %s failed; the sweep retries it: %s", order["_id"], error)
        return
    await checkout.datasources.orders.update(
        order["_id"],
        {"refund": {"status": Step.DONE, "reference": reference, "amount": payment["amount"]}},
    )
