"""Cancelling an order: by its owner, an admin, or the hold running out.

The status change is one conditional update, so of racing cancels (and the expiry task)
exactly one wins; only the winner returns the stock and refunds. Returning each line is
itself exactly-once (`StockHoldsDatasource.give_back`), so the recovery sweep can finish
a return a crashed process started without doubling it.
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
    datasources = checkout.datasources
    order_key = str(order["_id"])
    for item in order["items"]:
        await datasources.stock_holds.give_back(item["productId"], order_key, item["quantity"])
    await datasources.orders.update(order["_id"], {"stockReturn": Step.DONE})
    await datasources.stock_holds.forget_returns(
        [item["productId"] for item in order["items"]], order_key
    )


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
