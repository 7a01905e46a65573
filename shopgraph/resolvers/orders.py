"""Orders through the API: who may see and change which order, and input checks.

The buy flow itself lives in `shopgraph.checkout`; this maps its outcomes to payloads.
"""

from collections.abc import Sequence
from datetime import datetime

import strawberry
from bson import ObjectId

from shopgraph.auth.viewer import is_admin, may_see
from shopgraph.checkout.cancelling import cancel_order as cancel
from shopgraph.checkout.errors import CheckoutError, invalid_transition
from shopgraph.checkout.paying import pay_order as pay
from shopgraph.checkout.placing import OrderLine
from shopgraph.checkout.placing import place_order as place
from shopgraph.datasources.keyset import Document
from shopgraph.datasources.orders import OrderQuery
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_global_id, decode_input_id, object_id
from shopgraph.resolvers.pagination import Ordering, PageArgs, paginate
from shopgraph.schema.errors import Forbidden
from shopgraph.schema.orders import (
    ORDER_FIELDS,
    Order,
    OrderConnection,
    OrderPayload,
    OrderStatus,
    PaymentInput,
    PlaceOrderInput,
)
from shopgraph.schema.user_errors import UserError, UserErrorCode, user_error

MAX_LINES = 50
MAX_QUANTITY = 1000
MAX_KEY_LENGTH = 200
NEWEST_FIRST = Ordering("orders:CREATED_AT:DESC", "createdAt", datetime, descending=True)
# updateOrderStatus: the moves an admin may make besides cancelling.
FORWARD = {("PAID", "SHIPPED"), ("SHIPPED", "DELIVERED")}


def _failed(error: CheckoutError) -> OrderPayload:
    return OrderPayload(
        user_errors=[user_error(error.field, error.message, UserErrorCode[error.code])]
    )


def _order_lines(input: PlaceOrderInput) -> tuple[list[OrderLine], list[UserError]]:
    """One line per product, quantities of repeated products added up, sorted by product."""
    if not 1 <= len(input.items) <= MAX_LINES:
        message = f"An order has 1 to {MAX_LINES} lines."
        return [], [user_error("input.items", message, UserErrorCode.INVALID)]
    problems: list[UserError] = []
    quantities: dict[ObjectId, int] = {}
    first_field: dict[ObjectId, str] = {}
    for index, item in enumerate(input.items):
        field = f"input.items.{index}"
        product_id = decode_input_id(item.product_id, "Product", f"{field}.productId")
        if isinstance(product_id, UserError):
            problems.append(product_id)
        elif not 1 <= item.quantity <= MAX_QUANTITY:
            message = f"Order 1 to {MAX_QUANTITY} of each product."
            problems.append(user_error(f"{field}.quantity", message, UserErrorCode.INVALID))
        else:
            quantities[product_id] = quantities.get(product_id, 0) + item.quantity
            first_field.setdefault(product_id, field)
    for product_id, quantity in quantities.items():
        if quantity > MAX_QUANTITY:
            message = f"Order at most {MAX_QUANTITY} of each product, all lines together."
            field = f"{first_field[product_id]}.quantity"
            problems.append(user_error(field, message, UserErrorCode.INVALID))
    key = input.idempotency_key
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        message = f"The idempotency key must be 1 to {MAX_KEY_LENGTH} characters."
        problems.append(user_error("input.idempotencyKey", message, UserErrorCode.INVALID))
    lines = [
        OrderLine(product_id, quantity, first_field[product_id])
        for product_id, quantity in sorted(quantities.items(), key=lambda pair: str(pair[0]))
    ]
    return lines, problems


async def place_order(info: Info, input: PlaceOrderInput) -> OrderPayload:
    """Takes the stock of every line or of none, and holds it until the order is paid."""
    lines, problems = _order_lines(input)
    if problems:
        return OrderPayload(user_errors=problems)
    user = await info.context.viewer.require_user()
    try:
        order = await place(info.context.checkout, user["_id"], lines, input.idempotency_key)
    except CheckoutError as error:
        return _failed(error)
    return OrderPayload(order=Order(document=order))


async def _order_of_caller(info: Info, order_id: ObjectId) -> Document | None:
    """The order, for its owner or an admin. Others get FORBIDDEN whether or not it exists,
    so order ids cannot be probed; admins get None for a missing order."""
    viewer = await info.context.viewer.require_user()
    order = await info.context.datasources.orders.by_id(order_id)
    if order is None and is_admin(viewer):
        return None
    if order is None or not may_see(viewer, order["userId"]):
        raise Forbidden("This is not your order.")
    return order


async def _mutable_order(info: Info, id: strawberry.ID) -> Document | OrderPayload:
    order_id = decode_input_id(id, "Order", "id")
    if isinstance(order_id, UserError):
        return OrderPayload(user_errors=[order_id])
    order = await _order_of_caller(info, order_id)
    if order is None:
        return _failed(CheckoutError("NOT_FOUND", "There is no such order.", "id"))
    return order


async def pay_order(info: Info, id: strawberry.ID, payment: PaymentInput) -> OrderPayload:
    """The owner pays the total; on success the order is PAID and confirmed by email."""
    order = await _mutable_order(info, id)
    if isinstance(order, OrderPayload):
        return order
    viewer = await info.context.viewer.require_user()
    if order["userId"] != viewer["_id"]:
        raise Forbidden("Only the customer who placed an order pays for it.")
    context = info.context
    try:
        paid = await pay(
            context.datasources, context.gateway, order, payment.token, context.settings.mail_from
        )
    except CheckoutError as error:
        return _failed(error)
    return OrderPayload(order=Order(document=paid))


async def cancel_order(info: Info, id: strawberry.ID) -> OrderPayload:
    """The owner or an admin, while PENDING or PAID: stock returns, a payment is refunded."""
    order = await _mutable_order(info, id)
    if isinstance(order, OrderPayload):
        return order
    try:
        cancelled = await cancel(
            info.context.datasources, info.context.gateway, order["_id"], "cancelled by request"
        )
    except CheckoutError as error:
        return _failed(error)
    return OrderPayload(order=Order(document=cancelled))


async def update_order_status(info: Info, id: strawberry.ID, status: OrderStatus) -> OrderPayload:
    """Admins: PAID -> SHIPPED -> DELIVERED, or cancel a PENDING or PAID order."""
    order = await _mutable_order(info, id)
    if isinstance(order, OrderPayload):
        return order
    context = info.context
    try:
        if status is OrderStatus.CANCELLED:
            updated = await cancel(
                context.datasources, context.gateway, order["_id"], "cancelled by an admin"
            )
        elif (order["status"], status.value) in FORWARD:
            moved = await context.datasources.orders.transition(
                order["_id"], [order["status"]], status.value, stamp=[f"{status.value.lower()}At"]
            )
            if moved is None:
                raise invalid_transition(order["status"], f"moved to {status.value}")
            updated = moved
        else:
            raise invalid_transition(order["status"], f"moved to {status.value}")
    except CheckoutError as error:
        return _failed(error)
    return OrderPayload(order=Order(document=updated))


async def orders_by_node_ids(info: Info, node_ids: Sequence[str]) -> list[Order | None]:
    """`node(id)`: an order exists only for its owner and admins."""
    viewer = await info.context.viewer.user()
    order_ids = [object_id(node_id, "Order") for node_id in node_ids]
    if viewer is None:
        return [None for _ in order_ids]
    found = await info.context.datasources.orders.placed_by_ids(order_ids)
    visible = [found.get(order_id) for order_id in order_ids]
    return [
        Order(document=order) if order is not None and may_see(viewer, order["userId"]) else None
        for order in visible
    ]


async def order(info: Info, id: strawberry.ID) -> Order | None:
    document = await _order_of_caller(info, decode_global_id(id, "Order"))
    return None if document is None else Order(document=document)


async def orders_of(
    info: Info, user_id: ObjectId | None, args: PageArgs, status: OrderStatus | None
) -> OrderConnection:
    """Newest first; all users' orders when `user_id` is None."""
    query = OrderQuery(user_id=user_id, status=status.value if status else None)
    return await paginate(
        info,
        info.context.datasources.orders,
        query,
        args,
        NEWEST_FIRST,
        Order,
        ORDER_FIELDS,
        OrderConnection,
    )


async def orders(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    status: OrderStatus | None = None,
) -> OrderConnection:
    """Your orders, newest first; admins see everyone's."""
    viewer = await info.context.viewer.require_user()
    owner = None if is_admin(viewer) else viewer["_id"]
    return await orders_of(info, owner, PageArgs(first, after, last, before), status)
