"""The periodic sweep: expires holds, and finishes what a crashed process left half-done.

Every step is safe to run from several server processes at once: status changes are
conditional updates, stock markers make each return exactly-once, and outbox messages are
keyed by their order. Work younger than `Checkout.grace` is left alone, since a live
request may still be doing it.
"""

import logging
from datetime import UTC, datetime

from shopgraph.checkout.cancelling import (
    cancel_order,
    forget_finished_return,
    give_back_discount,
    refund,
    refund_recorded_stray_charge,
    return_stock,
)
from shopgraph.checkout.confirmation import queue_confirmation
from shopgraph.checkout.deps import Checkout
from shopgraph.checkout.order_events import HOLD_EXPIRED
from shopgraph.checkout.order_states import PAID_OR_LATER, UNPLACED, OrderStatus, Step
from shopgraph.clock import now_ms
from shopgraph.errors import DomainError

logger = logging.getLogger("shopgraph.checkout")

# Expired holds read per query: memory stays bounded however large the backlog.
EXPIRY_BATCH = 100


async def expire_holds(checkout: Checkout) -> int:
    """Cancels every PENDING order whose hold ran out by the start of the pass, however
    many there are, reading them `EXPIRY_BATCH` at a time; returns how many this process
    cancelled."""
    expired = 0
    pending = OrderStatus.PENDING
    now = datetime.now(UTC)
    last = None
    while True:
        batch = await checkout.datasources.orders.held_past(pending, now, EXPIRY_BATCH, last)
        for order in batch:
            try:
                await cancel_order(checkout, order["_id"], HOLD_EXPIRED, (pending,))
                expired += 1
            except DomainError:  # paid or cancelled meanwhile, or another process won
                continue
        if len(batch) < EXPIRY_BATCH:
            return expired
        last = batch[-1]


async def recover(checkout: Checkout) -> None:
    orders = checkout.datasources.orders
    holds = checkout.datasources.stock_holds
    cutoff = datetime.now(UTC) - checkout.grace
    cutoff_ms = now_ms() - int(checkout.grace.total_seconds() * 1000)

    for order in await orders.in_status_before(UNPLACED, cutoff):  # died while taking stock
        if await orders.delete_if(order["_id"], UNPLACED):  # not opened meanwhile
            # Deleted first: a crash before this gives back keeps a use that counts
            # against the limit, never one more than the limit.
            await give_back_discount(checkout, order)
            for product_id in {item["productId"] for item in order["items"]}:
                await holds.release(product_id, str(order["_id"]))
    for product_id, order_key in await holds.stale_holds(cutoff_ms):
        status = await orders.status_of(order_key)
        if status is None:  # the order is gone: its stock comes back
            await holds.release(product_id, order_key)
        elif status != UNPLACED:  # placed, but it died before removing the markers
            await holds.settle([product_id], order_key)
        # Still being placed: the first step gives its stock back once it is past the
        # grace period. (A hold is younger than its order, but the two ages are measured
        # apart, and the embedded server compares dates to the second only.)
    # Orders cancelled within the grace period may still be in a live request's hands.
    for order in await orders.needing("stockReturn", Step.OWED, cancelled_before_ms=cutoff_ms):
        await return_stock(checkout, order)
    for product_id, order_key in await holds.stale_returns(cutoff_ms):
        await forget_finished_return(checkout, product_id, order_key)
    for order in await orders.needing("refund.status", Step.OWED, cancelled_before_ms=cutoff_ms):
        await refund(checkout, order)
    # A paid order cancelled before its email was queued gets no confirmation.
    for order in await orders.needing("confirmation", Step.OWED, PAID_OR_LATER):
        await queue_confirmation(checkout, order)
    for charge in await checkout.datasources.stray_charges.pending_before(cutoff_ms):
        try:
            await refund_recorded_stray_charge(checkout, charge)
        except Exception:  # one charge the gateway refuses must not hold up the others
            logger.exception("could not refund stray charge %s", charge["_id"])
