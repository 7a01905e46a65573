"""Orders through the API: who may see and change which order (see `checkout.orders`)."""

import hmac
from collections.abc import Sequence
from typing import Protocol

import strawberry
from bson import ObjectId

from shopgraph.auth.permissions import is_admin, may_see
from shopgraph.checkout.completing import MAX_TOKEN_LENGTH, token_hash
from shopgraph.checkout.order_lines import LineTarget
from shopgraph.checkout.order_states import OrderStatus as Status
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import (
    decode_global_id,
    decode_input_id,
    input_id,
    input_variant_id,
    object_id,
)
from shopgraph.resolvers.order_listing import order_page
from shopgraph.resolvers.pagination import PageArgs
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.errors import Forbidden
from shopgraph.schema.orders import (
    Order,
    OrderConnection,
    OrderPayload,
    OrderStatus,
    PaymentInput,
    PlaceOrderInput,
)


@refusals_as_user_errors
async def place_order(info: Info, input: PlaceOrderInput) -> OrderPayload:
    """Takes the stock of every line or of none, and holds it until the order is paid."""
    items = [
        (line_target(item, f"input.items.{index}"), item.quantity)
        for index, item in enumerate(input.items)
    ]
    user = await info.context.viewer.require_user()
    order = await info.context.services.orders.place(user["_id"], items, input.idempotency_key)
    return OrderPayload(order=Order(document=order))


class NamesLineTarget(Protocol):
    product_id: strawberry.ID | None
    variant_id: strawberry.ID | None


def line_target(item: NamesLineTarget, field: str) -> LineTarget | Problem:
    """What an order's or a cart's line takes: a variant, or the product (with one
    variant) it names."""
    if (item.product_id is None) == (item.variant_id is None):
        return Problem(f"{field}.variantId", "Give exactly one of productId and variantId.")
    if item.variant_id is not None:
        ids = input_variant_id(item.variant_id, f"{field}.variantId")
        return ids if isinstance(ids, Problem) else LineTarget(*ids)
    product_id = input_id(str(item.product_id), "Product", f"{field}.productId")
    return product_id if isinstance(product_id, Problem) else LineTarget(product_id)


async def _order_of_caller(info: Info, order_id: ObjectId) -> Document | None:
    """The order, for its owner or an admin. Others get FORBIDDEN whether or not it exists,
    so order ids cannot be probed; admins get None for a missing order."""
    viewer = await info.context.viewer.require_user()
    order = await info.context.services.orders.get(order_id)
    if order is None and is_admin(viewer):
        return None
    if order is None or not may_see(viewer, order["userId"]):
        raise Forbidden("This is not your order.")
    return order


async def _mutable_order(info: Info, id: strawberry.ID) -> Document:
    order = await _order_of_caller(info, decode_input_id(id, "Order", "id"))
    if order is None:
        raise DomainError(ErrorCode.NOT_FOUND, "There is no such order.", "id")
    return order


async def _guest_order(info: Info, id: strawberry.ID, token: str) -> Document:
    """A guest's order, for whoever has its token. Others get FORBIDDEN, whether the
    order exists or not."""
    order_id = decode_input_id(id, "Order", "id")
    order = await info.context.services.orders.get(order_id)
    if order is None or not 1 <= len(token) <= MAX_TOKEN_LENGTH:
        raise Forbidden("This token is not the order's.")
    expected = order.get("tokenHash") or ""
    if not hmac.compare_digest(expected, token_hash(token)):
        raise Forbidden("This token is not the order's.")
    return order


@refusals_as_user_errors
async def pay_order(
    info: Info, id: strawberry.ID, payment: PaymentInput, token: str | None = None
) -> OrderPayload:
    """The customer pays the total (a guest with their order's `token`); on success the
    order is PAID and confirmed by email."""
    if token is not None:
        order = await _guest_order(info, id, token)
    else:
        viewer = await info.context.viewer.require_user()
        order = await _mutable_order(info, id)
        if order["userId"] != viewer["_id"]:
            raise Forbidden("Only the customer who placed an order pays for it.")
    paid = await info.context.services.orders.pay(order, payment.token)
    return OrderPayload(order=Order(document=paid))


@refusals_as_user_errors
async def cancel_order(info: Info, id: strawberry.ID, token: str | None = None) -> OrderPayload:
    """The owner (a guest with their order's `token`) or an admin, while PENDING or PAID:
    stock returns, a payment is refunded."""
    if token is not None:
        order = await _guest_order(info, id, token)
    else:
        await info.context.viewer.require_user()
        order = await _mutable_order(info, id)
    cancelled = await info.context.services.orders.cancel(order["_id"], "cancelled by request")
    return OrderPayload(order=Order(document=cancelled))


@refusals_as_user_errors
async def update_order_status(info: Info, id: strawberry.ID, status: OrderStatus) -> OrderPayload:
    """Admins: PAID -> SHIPPED -> DELIVERED, or cancel a PENDING or PAID order."""
    order = await _mutable_order(info, id)
    orders = info.context.services.orders
    moved = await orders.move(order, Status(status.value), "cancelled by an admin")
    return OrderPayload(order=Order(document=moved))


async def orders_by_node_ids(info: Info, node_ids: Sequence[str]) -> list[Order | None]:
    """`node(id)`: an order exists only for its owner and admins."""
    viewer = await info.context.viewer.user()
    order_ids = [object_id(node_id, "Order") for node_id in node_ids]
    if viewer is None:
        return [None for _ in order_ids]
    found = await info.context.services.orders.get_many(order_ids)
    visible = [found.get(order_id) for order_id in order_ids]
    return [
        Order(document=order) if order is not None and may_see(viewer, order["userId"]) else None
        for order in visible
    ]


async def order(info: Info, id: strawberry.ID) -> Order | None:
    document = await _order_of_caller(info, decode_global_id(id, "Order"))
    return None if document is None else Order(document=document)


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
    args = PageArgs(first, after, last, before)
    return await order_page(info, owner, args, status, OrderConnection)
