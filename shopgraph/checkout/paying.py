"""Paying for an order: authorize and capture through the gateway, then mark it PAID.

The PAID status and `confirmation: PENDING` are written in one atomic update of the order;
the email then goes to the outbox. If the process dies in between, the sweep finds the
order still marked PENDING for its confirmation and queues the email then.

The gateway's idempotency keys name the order and its payment attempt. Racing payOrder
calls of one attempt share a key, so they make one charge. A decline ends the attempt:
gateways replay a key's first answer, decline included, so the next card needs a new key.
"""

from bson import ObjectId

from shopgraph.checkout.cancelling import refund_stray_charge
from shopgraph.checkout.confirmation import queue_confirmation
from shopgraph.checkout.errors import CheckoutError, invalid_transition
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.keyset import Document
from shopgraph.integrations.payments import (
    PaymentDeclined,
    PaymentGateway,
    PaymentUnavailable,
    with_retries,
)


async def pay_order(
    datasources: Datasources,
    gateway: PaymentGateway,
    order: Document,
    token: str,
    mail_from: str,
) -> Document:
    """Raises CheckoutError: INVALID_TRANSITION, PAYMENT_DECLINED or PAYMENT_FAILED."""
    if order["status"] != "PENDING":
        raise invalid_transition(order["status"], "paid")
    order_id: ObjectId = order["_id"]
    amount, currency = order["total"], order["currency"]
    key = f"{order_id}:{order.get('paymentAttempt', 0)}"
    try:
        authorization = await with_retries(
            lambda: gateway.authorize(amount, currency, token, f"{key}:authorize")
        )
        charge = await with_retries(
            lambda: gateway.capture(authorization, amount, f"{key}:capture")
        )
    except PaymentDeclined as error:
        await datasources.orders.next_payment_attempt(order_id)
        raise CheckoutError(
            "PAYMENT_DECLINED", f"The payment was declined: {error}.", "payment.token"
        ) from error
    except PaymentUnavailable as error:
        raise CheckoutError(
            "PAYMENT_FAILED", "The payment service is unavailable; try again shortly."
        ) from error
    payment = {
        "gateway": charge.gateway,
        "reference": charge.reference,
        "amount": charge.amount,
        "currency": charge.currency,
    }
    paid = await datasources.orders.transition(
        order_id, ["PENDING"], "PAID", {"payment": payment, "confirmation": "PENDING"}, ["paidAt"]
    )
    if paid is None:
        current = await datasources.orders.by_id(order_id)
        status = current["status"] if current else "missing"
        standing = (current or {}).get("payment") or {}
        # Unless a concurrent payOrder made this same charge (same keys) and won, the order
        # was cancelled or expired meanwhile, or another attempt's charge paid it.
        if standing.get("reference") != payment["reference"]:
            await refund_stray_charge(datasources, gateway, order_id, payment)
        raise invalid_transition(status, "paid")
    await queue_confirmation(datasources, paid, mail_from)
    return await datasources.orders.by_id(order_id) or paid
