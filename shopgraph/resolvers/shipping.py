"""Shipping methods: the admins' listing and mutations, and `node(id)` refetch.

Permission (admins only) is checked by the Query and Mutation fields; `node(id)` shows
active methods to everyone, since shoppers see them in their carts, and inactive ones to
admins only.
"""

import dataclasses
from collections.abc import Sequence

import strawberry

from shopgraph.checkout.shipping_rules import ShippingMethodFields
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_input_id, object_id
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.shipping import (
    DeleteShippingMethodPayload,
    ShippingMethod,
    ShippingMethodInput,
    ShippingMethodPayload,
)


def _fields(input: ShippingMethodInput) -> ShippingMethodFields:
    """The fields that were sent; those left out stay OMITTED."""
    given = {
        field.name: getattr(input, field.name)
        for field in dataclasses.fields(input)
        if getattr(input, field.name) is not strawberry.UNSET
    }
    return ShippingMethodFields(**given)


async def shipping_methods(info: Info) -> list[ShippingMethod]:
    """Every method, inactive ones too, oldest first."""
    methods = await info.context.services.shipping_methods.all()
    return [ShippingMethod(method=method) for method in methods]


@refusals_as_user_errors
async def create_shipping_method(info: Info, input: ShippingMethodInput) -> ShippingMethodPayload:
    method = await info.context.services.shipping_methods.create(_fields(input))
    return ShippingMethodPayload(shipping_method=ShippingMethod(method=method))


@refusals_as_user_errors
async def update_shipping_method(
    info: Info, id: strawberry.ID, input: ShippingMethodInput
) -> ShippingMethodPayload:
    """Partial: only the fields given change."""
    method_id = decode_input_id(id, "ShippingMethod", "id")
    method = await info.context.services.shipping_methods.update(method_id, _fields(input))
    return ShippingMethodPayload(shipping_method=ShippingMethod(method=method))


@refusals_as_user_errors
async def delete_shipping_method(info: Info, id: strawberry.ID) -> DeleteShippingMethodPayload:
    method_id = decode_input_id(id, "ShippingMethod", "id")
    await info.context.services.shipping_methods.delete(method_id)
    return DeleteShippingMethodPayload(deleted_id=id)


async def shipping_methods_by_node_ids(
    info: Info, node_ids: Sequence[str]
) -> list[ShippingMethod | None]:
    """Missing methods, and inactive ones for anyone but admins, are null alike."""
    ids = [object_id(node_id, "ShippingMethod") for node_id in node_ids]
    found = await info.context.services.shipping_methods.get_many(ids)
    methods = [found.get(method_id) for method_id in ids]
    hidden = any(method is not None and not method.active for method in methods)
    if hidden and not await info.context.viewer.is_admin():
        methods = [method if method is not None and method.active else None for method in methods]
    return [None if method is None else ShippingMethod(method=method) for method in methods]
