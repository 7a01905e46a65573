"""Checking out a cart, and a guest's way back to their order (see `checkout.completing`)."""

import strawberry

from shopgraph.checkout.completing import MAX_TOKEN_LENGTH, token_hash
from shopgraph.checkout.order_states import UNPLACED
from shopgraph.resolvers.carts import caller_of, cart_key_of_input, forbidden_when_not_yours
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.user_errors import refusals_as_user_errors, user_errors
from shopgraph.schema.orders import Order, OrderPayload, PaymentInput


@refusals_as_user_errors
@forbidden_when_not_yours
async def checkout_complete(
    info: Info,
    cart_id: strawberry.ID,
    payment: PaymentInput | None = None,
    idempotency_key: str | None = None,
) -> OrderPayload:
    """Places the cart's order (its stock all or nothing) and pays it when `payment` is
    given; a declined payment leaves the order PENDING, payable with payOrder. Retrying
    with the same idempotency key returns the same order."""
    result = await info.context.services.cart_checkout.complete(
        cart_key_of_input(cart_id),
        await caller_of(info),
        None if payment is None else payment.token,
        idempotency_key,
    )
    document = result.order if result.token is None else {**result.order, "token": result.token}
    errors = [] if result.payment_refusal is None else user_errors(result.payment_refusal)
    return OrderPayload(order=Order(document=document), user_errors=errors)


async def order_by_token(info: Info, token: str) -> Order | None:
    """A guest's order, by the token its checkout gave; null for any other token."""
    if not 1 <= len(token) <= MAX_TOKEN_LENGTH:
        return None
    orders = info.context.datasources.orders
    found = await orders.by_token_hash(token_hash(token), UNPLACED)
    return None if found is None else Order(document=found)
