"""Cancelling an order: by its owner, an admin, or the hold running out.

The status change is one conditional update, so of racing cancels (and the expiry task)
exactly one wins; only the winner returns the stock and refunds. Returning each line is
itself exactly-once (`StockHoldsDatasource.give_back`), so the recovery sweep can finish
a return a crashed process started without doubling it.
"""

import logging
from collections.abc import Sequence

from bson import ObjectId

from shopgraph.checkout.errors import CheckoutError, invalid_transition
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.keyset import Document
from shopgraph.datasources.stock_holds import now_ms
from shopgraph.integrations.payments import PaymentGateway, PaymentUnavailable, with_retries

logger = logging.getLogger("shopgraph.checkout")

# In the order an order moves through them: a cancel that finds an order no longer PENDING
# tries PAID next, so a payment landing meanwhile is caught, not refused.
CANCELLABLE = ("PENDING", "PAID")


async def cancel_order(
    datasources: Datasources,
    gateway: PaymentGateway,
    order_id: ObjectId,
    reason: str,
    from_statuses: Sequence[str] = CANCELLABLE,
) -> Document:
    """Raises CheckoutError INVALID_TRANSITION when the order cannot be cancelled (any more)."""
    cancelled = await _take_cancellation(datasources, order_id, reason, from_statuses)
    if cancelled is None:
        current = await datasources.orders.by_id(order_id)
        if current is None:
            raise CheckoutError("NOT_FOUND", "There is no such order.", "id")
        raise invalid_transition(current["status"], "cancelled")
    await return_stock(datasources, cancelled)
    if cancelled.get("payment"):
        await refund(datasources, gateway, cancelled)
    return await datasources.orders.by_id(order_id) or cancelled


async def _take_cancellation(
    datasources: Datasources, order_id: ObjectId, reason: str, from_statuses: Sequence[str]
) -> Document | None:
    """One status at a time, so the update that cancels a PAID order is the one that marks
    its refund as owed: the sweep retries a refund only when the order says it is owed."""
    for status in from_statuses:
        changes: Document = {
            "cancelReason": reason,
            "cancelledAtMs": now_ms(),
            "stockReturn": "PENDING",
        }
        if status == "PAID":
            changes["refund"] = {"status": "PENDING"}
        cancelled = await datasources.orders.transition(order_id, [status], "CANCELLED", changes)
        if cancelled is not None:
            return cancelled
    return None


async def return_stock(datasources: Datasources, order: Document) -> None:
    order_key = str(order["_id"])
    for item in order["items"]:
        await datasources.stock_holds.give_back(item["productId"], order_key, item["quantity"])
    await datasources.orders.update(order["_id"], {"stockReturn": "DONE"})
    await datasources.stock_holds.forget_returns(
        [item["productId"] for item in order["items"]], order_key
    )


async def refund_charge(gateway: PaymentGateway, payment: Document) -> str:
    """Gives one charge back; keyed by the charge, so retries never refund it twice.
    Raises PaymentUnavailable."""
    return await with_retries(
        lambda: gateway.refund(
            payment["reference"], payment["amount"], f"{payment['reference']}:refund"
        )
    )


async def refund_stray_charge(
    datasources: Datasources, gateway: PaymentGateway, order_id: ObjectId, payment: Document
) -> None:
    """A charge that did not pay its order goes back; recorded first, so the sweep
    retries a refund that fails now."""
    await datasources.stray_charges.record(order_id, payment)
    await refund_recorded_stray_charge(datasources, gateway, payment)


async def refund_recorded_stray_charge(
    datasources: Datasources, gateway: PaymentGateway, payment: Document
) -> None:
    try:
        reference = await refund_charge(gateway, payment)
    except PaymentUnavailable as error:
        logger.error(
            "refund of charge %s failed; the sweep retries it: %s", payment["reference"], error
        )
        return
    await datasources.stray_charges.refunded(payment["reference"], reference)


async def refund(datasources: Datasources, gateway: PaymentGateway, order: Document) -> None:
    payment = order["payment"]
    try:
        reference = await refund_charge(gateway, payment)
    except PaymentUnavailable as error:
        logger.error("refund of order %s failed; the sweep retries it: %s", order["_id"], error)
        return
    await datasources.orders.update(
        order["_id"],
        {"refund": {"status": "DONE", "reference": reference, "amount": payment["amount"]}},
    )
