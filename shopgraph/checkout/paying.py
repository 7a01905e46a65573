"""Paying for an order: authorize and capture through the gateway, then mark it PAID.

The PAID status and `confirmation: PENDING` are written in one atomic update of the order;
the email then goes to the outbox. If the process dies in between, the sweep finds the
order still marked PENDING for its confirmation and queues the email then.
"""

from bson import ObjectId

from shopgraph.checkout.cancelling import refund
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
    try:
        authorization = await with_retries(
            lambda: gateway.authorize(amount, currency, token, f"{order_id}:authorize")
        )
        charge = await with_retries(
            lambda: gateway.capture(authorization, amount, f"{order_id}:capture")
        )
    except PaymentDeclined as error:
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
        # A concurrent payOrder made the same charge (same idempotency keys) and won:
        # that charge pays the order, so it must not be refunded.
        if (
            current is not None
            and (current.get("payment") or {}).get("reference") == (payment["reference"])
        ):
            raise invalid_transition(status, "paid")
        # Cancelled or expired while the card was charged: give the money back.
        await refund(datasources, gateway, {**order, "payment": payment})
        raise invalid_transition(status, "paid")
    await queue_confirmation(datasources, paid, mail_from)
    return await datasources.orders.by_id(order_id) or paid
