"""Carts through the API: a guest's cart is anyone's who has its id; a customer's cart is
theirs alone (others get FORBIDDEN, whether it exists or not). See `checkout.carts`."""

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import ParamSpec, TypeVar

import strawberry
from bson import ObjectId

from shopgraph.auth.permissions import is_admin
from shopgraph.checkout.carts import Caller, NotYourCart
from shopgraph.checkout.order_lines import RequestedLine
from shopgraph.errors import DomainError, ErrorCode, Problem
from shopgraph.resolvers.addresses import address_of
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import (
    decode_input_id,
    decode_input_id_pair,
    input_id,
)
from shopgraph.resolvers.orders import line_target
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.addresses import AddressInput
from shopgraph.schema.carts import (
    Cart,
    CartCreateInput,
    CartLineInput,
    CartLineUpdateInput,
    CartPayload,
)
from shopgraph.schema.errors import BadUserInput, Forbidden

P = ParamSpec("P")
R = TypeVar("R")

MAX_CART_ID_LENGTH = 100
NOT_YOURS = "This is another customer's cart."


async def caller_of(info: Info) -> Caller:
    user = await info.context.viewer.user()
    return Caller(None) if user is None else Caller(user["_id"], is_admin(user))


def cart_key(global_id: str) -> str:
    """The random key inside a cart's global ID. Raises BadUserInput."""
    try:
        decoded = strawberry.relay.GlobalID.from_id(global_id)
    except strawberry.relay.GlobalIDValueError as error:
        raise BadUserInput("Invalid Cart ID: not a global ID.") from error
    if decoded.type_name != "Cart" or not 1 <= len(decoded.node_id) <= MAX_CART_ID_LENGTH:
        raise BadUserInput("Invalid Cart ID.")
    return decoded.node_id


def cart_key_of_input(global_id: str) -> str:
    try:
        return cart_key(global_id)
    except BadUserInput as error:
        raise DomainError(ErrorCode.INVALID, error.message, "cartId") from error


def forbidden_when_not_yours(
    resolver: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R]]:
    """Another customer's cart is a FORBIDDEN error, not a userError: it is about rights."""

    @functools.wraps(resolver)
    async def resolve(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except NotYourCart as error:
            raise Forbidden(NOT_YOURS) from error

    return resolve


def _line_targets(lines: Sequence[CartLineInput], field: str) -> list[RequestedLine]:
    return [
        (line_target(line, f"{field}.{index}"), line.quantity) for index, line in enumerate(lines)
    ]


def _line_id(global_id: str, field: str) -> ObjectId | Problem:
    return input_id(global_id, "CartLine", field)


def _payload(cart: object) -> CartPayload:
    return CartPayload(cart=Cart(document=cart))  # type: ignore[arg-type]


async def cart(info: Info, id: strawberry.ID) -> Cart | None:
    """Null for a cart that does not exist or expired."""
    found = await forbidden_when_not_yours(info.context.services.carts.get)(
        cart_key(id), await caller_of(info)
    )
    return None if found is None else Cart(document=found)


async def carts_by_node_ids(info: Info, node_ids: Sequence[str]) -> list[Cart | None]:
    """`node(id)`: a customer's cart is FORBIDDEN to others, as through `cart(id)`."""
    caller = await caller_of(info)
    found = []
    for node_id in node_ids:
        try:
            document = await info.context.services.carts.get(node_id[:MAX_CART_ID_LENGTH], caller)
        except NotYourCart as error:
            raise Forbidden(NOT_YOURS) from error
        found.append(None if document is None else Cart(document=document))
    return found


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_create(info: Info, input: CartCreateInput | None = None) -> CartPayload:
    """A logged-in customer's cart is theirs, and they have one: with one open already,
    the lines are added to it and it is returned."""
    input = input or CartCreateInput()
    lines = _line_targets(input.lines or [], "input.lines")
    created = await info.context.services.carts.create(await caller_of(info), lines, input.email)
    return _payload(created)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_lines_add(
    info: Info, cart_id: strawberry.ID, lines: list[CartLineInput]
) -> CartPayload:
    """Lines of a variant already in the cart add to its quantity."""
    carts = info.context.services.carts
    changed = await carts.add_lines(
        cart_key_of_input(cart_id), await caller_of(info), _line_targets(lines, "lines")
    )
    return _payload(changed)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_lines_update(
    info: Info, cart_id: strawberry.ID, lines: list[CartLineUpdateInput]
) -> CartPayload:
    """Sets each line's quantity; 0 removes it."""
    changes = [
        (_line_id(line.id, f"lines.{index}.id"), line.quantity) for index, line in enumerate(lines)
    ]
    carts = info.context.services.carts
    changed = await carts.update_lines(cart_key_of_input(cart_id), await caller_of(info), changes)
    return _payload(changed)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_lines_remove(
    info: Info, cart_id: strawberry.ID, line_ids: list[strawberry.ID]
) -> CartPayload:
    ids = [_line_id(line_id, f"lineIds.{index}") for index, line_id in enumerate(line_ids)]
    carts = info.context.services.carts
    changed = await carts.remove_lines(cart_key_of_input(cart_id), await caller_of(info), ids)
    return _payload(changed)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_set_email(info: Info, cart_id: strawberry.ID, email: str) -> CartPayload:
    """Where the order confirmation goes."""
    carts = info.context.services.carts
    changed = await carts.set_email(cart_key_of_input(cart_id), await caller_of(info), email)
    return _payload(changed)


async def _set_address(
    info: Info,
    cart_id: strawberry.ID,
    kind: str,
    address: AddressInput | None,
    saved_address_id: strawberry.ID | None,
) -> CartPayload:
    caller = await caller_of(info)
    if (address is None) == (saved_address_id is None):
        raise DomainError(
            ErrorCode.INVALID, "Give exactly one of address and savedAddressId.", "address"
        )
    if address is not None:
        value = address_of(address, "address")
    else:
        if caller.user_id is None:
            raise DomainError(ErrorCode.INVALID, "Log in to use a saved address.", "savedAddressId")
        _, saved_id = decode_input_id_pair(str(saved_address_id), "SavedAddress", "savedAddressId")
        # Looked up in the caller's own book: another customer's address is not found.
        saved = await info.context.services.address_book.get(caller.user_id, saved_id)
        if saved is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, "There is no such saved address.", "savedAddressId"
            )
        value = saved.address
    carts = info.context.services.carts
    changed = await carts.set_fields(
        cart_key_of_input(cart_id), caller, {kind: value.to_document()}
    )
    return _payload(changed)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_set_shipping_address(
    info: Info,
    cart_id: strawberry.ID,
    address: AddressInput | None = None,
    saved_address_id: strawberry.ID | None = strawberry.UNSET,
) -> CartPayload:
    """Give a new `address`, or (logged in) the id of one from your address book. The
    shipping methods and tax follow the address's country."""
    saved = None if saved_address_id is strawberry.UNSET else saved_address_id
    return await _set_address(info, cart_id, "shippingAddress", address, saved)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_set_billing_address(
    info: Info,
    cart_id: strawberry.ID,
    address: AddressInput | None = None,
    saved_address_id: strawberry.ID | None = strawberry.UNSET,
) -> CartPayload:
    """Give a new `address`, or (logged in) the id of one from your address book."""
    saved = None if saved_address_id is strawberry.UNSET else saved_address_id
    return await _set_address(info, cart_id, "billingAddress", address, saved)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_select_shipping_method(
    info: Info, cart_id: strawberry.ID, shipping_method_id: strawberry.ID
) -> CartPayload:
    """One of the cart's `availableShippingMethods`."""
    method_id = decode_input_id(shipping_method_id, "ShippingMethod", "shippingMethodId")
    checkout = info.context.services.cart_checkout
    changed = await checkout.select_shipping_method(
        cart_key_of_input(cart_id), await caller_of(info), method_id
    )
    return _payload(changed)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_apply_discount_code(info: Info, cart_id: strawberry.ID, code: str) -> CartPayload:
    """One code per cart: a new one replaces the last. Codes match whatever their case."""
    checkout = info.context.services.cart_checkout
    changed = await checkout.apply_discount_code(
        cart_key_of_input(cart_id), await caller_of(info), code
    )
    return _payload(changed)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_remove_discount_code(info: Info, cart_id: strawberry.ID) -> CartPayload:
    carts = info.context.services.carts
    changed = await carts.set_fields(
        cart_key_of_input(cart_id), await caller_of(info), {}, ["discountCode"]
    )
    return _payload(changed)


@refusals_as_user_errors
@forbidden_when_not_yours
async def cart_assign_to_me(info: Info, cart_id: strawberry.ID) -> CartPayload:
    """After login: a guest's cart becomes yours, merged into your open cart if you have
    one; returns your cart."""
    user = await info.context.viewer.require_user()
    assigned = await info.context.services.carts.assign(cart_key_of_input(cart_id), user["_id"])
    return _payload(assigned)
