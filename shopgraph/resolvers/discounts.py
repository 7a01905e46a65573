"""Discount codes through the API (see `checkout.discount_codes`): admins only.

Permission is checked by the Query and Mutation fields; `node(id)` checks it here.
"""

import dataclasses
from collections.abc import Sequence
from datetime import datetime

import strawberry

from shopgraph.datasources.discount_codes import DiscountCodeQuery
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_input_id, object_id
from shopgraph.resolvers.pagination import Ordering, PageArgs, paginate
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.discounts import (
    DeleteDiscountCodePayload,
    DiscountCode,
    DiscountCodeConnection,
    DiscountCodeInput,
    DiscountCodePayload,
)

NEWEST_FIRST = Ordering("discountCodes:CREATED_AT:DESC", "createdAt", datetime, descending=True)


def _given(input: DiscountCodeInput) -> dict[str, object]:
    """The input fields that were sent, by their Python spelling."""
    return {
        field.name: getattr(input, field.name)
        for field in dataclasses.fields(input)
        if getattr(input, field.name) is not strawberry.UNSET
    }


@refusals_as_user_errors
async def create_discount_code(info: Info, input: DiscountCodeInput) -> DiscountCodePayload:
    document = await info.context.services.discount_codes.create(_given(input))
    return DiscountCodePayload(discount_code=DiscountCode(document=document))


@refusals_as_user_errors
async def update_discount_code(
    info: Info, id: strawberry.ID, input: DiscountCodeInput
) -> DiscountCodePayload:
    """Only the given fields change. A usage limit below the uses taken is refused."""
    code_id = decode_input_id(id, "DiscountCode", "id")
    document = await info.context.services.discount_codes.update(code_id, _given(input))
    return DiscountCodePayload(discount_code=DiscountCode(document=document))


@refusals_as_user_errors
async def delete_discount_code(info: Info, id: strawberry.ID) -> DeleteDiscountCodePayload:
    """Orders that used it keep their discount."""
    code_id = decode_input_id(id, "DiscountCode", "id")
    await info.context.services.discount_codes.delete(code_id)
    return DeleteDiscountCodePayload(deleted_id=id)


async def discount_codes(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> DiscountCodeConnection:
    """Newest first."""
    args = PageArgs(first, after, last, before)
    datasource = info.context.datasources.discount_codes
    return await paginate(
        info, datasource, DiscountCodeQuery(), args, NEWEST_FIRST, DiscountCodeConnection
    )


async def discount_codes_by_node_ids(
    info: Info, node_ids: Sequence[str]
) -> list[DiscountCode | None]:
    """`node(id)`: a discount code exists only for admins."""
    code_ids = [object_id(node_id, "DiscountCode") for node_id in node_ids]
    if not await info.context.viewer.is_admin():
        return [None for _ in code_ids]
    found = await info.context.datasources.discount_codes.by_ids(code_ids, None)
    return [
        None if (document := found.get(code_id)) is None else DiscountCode(document=document)
        for code_id in code_ids
    ]
