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
from shopgraph.checkout.deps import Checkout
from shopgraph.checkout.order_states import PAID_AT, UNPLACED, OrderStatus, Step, invalid_transition
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode
from shopgraph.integrations.payments import PaymentDeclined, PaymentUnavailable, with_retries


async def pay_order(checkout: Checkout, order: Document, token: str) -> Document:
    """Raises DomainError: INVALID_TRANSITION, PAYMENT_DECLINED or PAYMENT_FAILED."""
    if order["status"] != OrderStatus.PENDING:
        raise invalid_transition(order["status"], "paid")
    orders, gateway = checkout.datasources.orders, checkout.gateway
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
        await orders.next_payment_attempt(order_id)
        raise DomainError(
            ErrorCode.PAYMENT_DECLINED, f"The payment was declined: {error}.", "payment.token"
        ) from error
    except PaymentUnavailable as error:
        raise DomainError(
            ErrorCode.PAYMENT_FAILED, "The payment service is unavailable; try again shortly."
        ) from error
    payment = {
        "gateway": charge.gateway,
        "reference": charge.reference,
        "amount": charge.amount,
        "currency": charge.currency,
    }
    paid = await orders.transition(
        order_id,
        [OrderStatus.PENDING],
        OrderStatus.PAID,
        {"payment": payment, "confirmation": Step.OWED},
        [PAID_AT],
    )
    if paid is None:
        current = await orders.by_id(order_id, UNPLACED)
        status = current["status"] if current else "missing"
        standing = (current or {}).get("payment") or {}
        # Unless a concurrent payOrder made this same charge (same keys) and won, the order
        # was cancelled or expired meanwhile, or another attempt's charge paid it.
        if standing.get("reference") != payment["reference"]:
            await refund_stray_charge(checkout, order_id, payment)
        raise invalid_transition(status, "paid")
    checkout.events.paid(paid)
    await queue_confirmation(checkout, paid)
    return await orders.by_id(order_id, UNPLACED) or paid
