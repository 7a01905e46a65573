"""The order state machine: every status an order can be in, and every legal move.

    RESERVING ──all stock taken──> PENDING ──paid──> PAID ──> SHIPPED ──> DELIVERED
                                   PENDING, PAID ──cancelled or hold expired──> CANCELLED

A RESERVING order is not an order yet: it is still taking its stock, every reader leaves
it out, and one that cannot get its stock is deleted rather than cancelled. Each move is
one conditional update of the order (`OrdersDatasource.transition`), so of racing moves
exactly one wins.
"""

from enum import StrEnum

from shopgraph.errors import DomainError, ErrorCode


class OrderStatus(StrEnum):
    RESERVING = "RESERVING"
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class Step(StrEnum):
    """Where a follow-up of a move stands (`stockReturn`, `refund.status`, `confirmation`):
    owed until done, so the sweep can finish what a crashed process left."""

    OWED = "PENDING"
    QUEUED = "QUEUED"
    DONE = "DONE"


UNPLACED = OrderStatus.RESERVING
# Orders that hold stock without being paid: what a customer's pending-order limit counts.
UNPAID = (UNPLACED, OrderStatus.PENDING)
# In the order an order moves through them: a cancel that finds an order no longer PENDING
# tries PAID next, so a payment landing meanwhile is caught, not refused.
CANCELLABLE = (OrderStatus.PENDING, OrderStatus.PAID)
PAID_OR_LATER = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
# The date field each move stamps with the server's clock.
PAID_AT = "paidAt"
# The moves an admin makes besides cancelling.
FORWARD: dict[tuple[OrderStatus, OrderStatus], str] = {
    (OrderStatus.PAID, OrderStatus.SHIPPED): "shippedAt",
    (OrderStatus.SHIPPED, OrderStatus.DELIVERED): "deliveredAt",
}


def invalid_transition(status: str, action: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_TRANSITION, f"A {status} order cannot be {action}.")
