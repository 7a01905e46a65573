"""The order service: every use case of an order, one method each, over one `Checkout`.

Resolvers, the CLI and background tasks call these; who may call which is the caller's
to check (see `auth.permissions`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.checkout import sweeps
from shopgraph.checkout.cancelling import cancel_order
from shopgraph.checkout.deps import Checkout
from shopgraph.checkout.order_lines import RequestedLine, order_lines
from shopgraph.checkout.order_states import FORWARD, UNPLACED, OrderStatus, invalid_transition
from shopgraph.checkout.paying import pay_order
from shopgraph.checkout.placing import place_order
from shopgraph.datasources.orders import OrderQuery
from shopgraph.documents import Document


@dataclass(frozen=True, slots=True)
class Orders:
    checkout: Checkout

    async def place(
        self, user_id: ObjectId, items: Sequence[RequestedLine], idempotency_key: str | None
    ) -> Document:
        """Takes the stock of every line or of none, and holds it until the order is paid.
        Raises InvalidInput for lines no order may have, DomainError when stock is short,
        the total too large, or the customer has as many unpaid orders as allowed."""
        lines = order_lines(items, idempotency_key, self.checkout.limits.max_line_quantity)
        return await place_order(self.checkout, user_id, lines, idempotency_key)

    async def pay(self, order: Document, token: str) -> Document:
        return await pay_order(self.checkout, order, token)

    async def cancel(self, order_id: ObjectId, reason: str) -> Document:
        """While PENDING or PAID: the stock returns and a payment is refunded."""
        return await cancel_order(self.checkout, order_id, reason)

    async def move(self, order: Document, status: OrderStatus, reason: str) -> Document:
        """An admin's move: ship, deliver, or cancel (with `reason`). Raises DomainError."""
        if status is OrderStatus.CANCELLED:
            return await self.cancel(order["_id"], reason)
        current = order["status"]
        stamp = FORWARD.get((current, status))
        moved = None
        if stamp is not None:
            moved = await self.checkout.datasources.orders.transition(
                order["_id"], [current], status, stamp=[stamp]
            )
        if moved is None:
            raise invalid_transition(current, f"moved to {status}")
        return moved

    async def expire_holds(self) -> int:
        return await sweeps.expire_holds(self.checkout)

    async def recover(self) -> None:
        await sweeps.recover(self.checkout)

    async def sweep(self) -> None:
        """The periodic pass: expire holds, then finish what a crashed process left."""
        await self.expire_holds()
        await self.recover()

    async def get(self, order_id: ObjectId) -> Document | None:
        """A placed order (one still taking its stock is not one yet)."""
        return await self.checkout.datasources.orders.by_id(order_id, UNPLACED)

    async def get_many(self, order_ids: Sequence[ObjectId]) -> dict[ObjectId, Document]:
        return await self.checkout.datasources.orders.by_ids_except(order_ids, UNPLACED)

    @staticmethod
    def listing(user_id: ObjectId | None, status: OrderStatus | None) -> OrderQuery:
        """Placed orders, all users' when `user_id` is None."""
        return OrderQuery(hidden=UNPLACED, user_id=user_id, status=status)
