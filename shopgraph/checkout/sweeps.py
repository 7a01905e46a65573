"""The periodic sweep: expires holds, and finishes what a crashed process left half-done.

Every step is safe to run from several server processes at once: status changes are
conditional updates, stock markers make each return exactly-once, and outbox messages are
keyed by their order. Work younger than GRACE is left alone, since a live request may
still be doing it.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shopgraph.checkout.cancelling import (
    cancel_order,
    refund,
    refund_recorded_stray_charge,
    return_stock,
)
from shopgraph.checkout.confirmation import queue_confirmation
from shopgraph.checkout.errors import CheckoutError
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.stock_holds import now_ms
from shopgraph.integrations.payments import PaymentGateway

logger = logging.getLogger("shopgraph.checkout")

GRACE = timedelta(minutes=2)
PAID_OR_LATER = ("PAID", "SHIPPED", "DELIVERED")


@dataclass(frozen=True, slots=True)
class Sweeper:
    datasources: Datasources
    gateway: PaymentGateway
    mail_from: str
    grace: timedelta = GRACE

    async def run_once(self) -> None:
        await self.expire_holds()
        await self.recover()

    async def expire_holds(self) -> int:
        """Cancels PENDING orders whose hold ran out; returns how many this process did."""
        expired = 0
        for order in await self.datasources.orders.expired_holds(datetime.now(UTC)):
            try:
                await cancel_order(
                    self.datasources, self.gateway, order["_id"], "hold expired", ("PENDING",)
                )
                expired += 1
            except CheckoutError:  # paid or cancelled meanwhile, or another process won
                continue
        return expired

    async def recover(self) -> None:
        orders = self.datasources.orders
        holds = self.datasources.stock_holds
        cutoff = datetime.now(UTC) - self.grace
        cutoff_ms = now_ms() - int(self.grace.total_seconds() * 1000)

        for order in await orders.reserving_before(cutoff):  # died while taking stock
            if await orders.discard_reserving(order["_id"]):  # not opened meanwhile
                for item in order["items"]:
                    await holds.release(item["productId"], str(order["_id"]), item["quantity"])
        for product_id, order_key, quantity in await holds.stale_holds(cutoff_ms):
            if await orders.exists(order_key):
                await holds.settle([product_id], order_key)  # died before removing markers
            else:
                await holds.release(product_id, order_key, quantity)
        # Orders cancelled within the grace period may still be in a live request's hands.
        for order in await orders.needing("stockReturn", "PENDING", cancelled_before_ms=cutoff_ms):
            await return_stock(self.datasources, order)
        for order in await orders.needing(
            "refund.status", "PENDING", cancelled_before_ms=cutoff_ms
        ):
            await refund(self.datasources, self.gateway, order)
        # A paid order cancelled before its email was queued gets no confirmation.
        for order in await orders.needing("confirmation", "PENDING", PAID_OR_LATER):
            await queue_confirmation(self.datasources, order, self.mail_from)
        for charge in await self.datasources.stray_charges.pending_before(cutoff_ms):
            try:
                await refund_recorded_stray_charge(self.datasources, self.gateway, charge)
            except Exception:  # one charge the gateway refuses must not hold up the others
                logger.exception("could not refund stray charge %s", charge["_id"])
