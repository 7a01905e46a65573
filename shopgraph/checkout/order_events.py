"""Who hears that an order was placed, paid or cancelled: the server's metrics, or nobody.

Each is told once per change, after it is stored: a replayed `placeOrder` (same
idempotency key), a lost race to pay or cancel, or a refusal tells nothing. A listener
must return at once and never raise: the change is made whatever it does.
"""

from typing import Protocol

from shopgraph.documents import Document

HOLD_EXPIRED = "hold expired"  # the cancelReason of an order whose hold ran out


class OrderEvents(Protocol):
    def placed(self, order: Document) -> None: ...

    def paid(self, order: Document) -> None: ...

    def cancelled(self, order: Document) -> None:
        """`order` as cancelled: its `cancelReason` says why."""


class NoOrderEvents:
    def placed(self, order: Document) -> None:
        pass

    def paid(self, order: Document) -> None:
        pass

    def cancelled(self, order: Document) -> None:
        pass
