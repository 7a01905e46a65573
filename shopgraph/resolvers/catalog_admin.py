"""Admin catalog mutations (see `catalog.products`).

Permission (admins only) is checked by the Mutation fields.
"""

import dataclasses

import strawberry

from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_input_id
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.catalog_admin import (
    DeleteProductPayload,
    ProductCreateInput,
    ProductPayload,
    ProductUpdateInput,
)
from shopgraph.schema.products import Product


def _given(input: ProductCreateInput | ProductUpdateInput) -> dict[str, object]:
    """The input fields that were sent, by their GraphQL names' Python spelling."""
    return {
        field.name: getattr(input, field.name)
        for field in dataclasses.fields(input)
        if getattr(input, field.name) is not strawberry.UNSET
    }


@refusals_as_user_errors
async def create_product(info: Info, input: ProductCreateInput) -> ProductPayload:
    admin = await info.context.viewer.require_user()
    document = await info.context.services.catalog.create_product(_given(input), admin["_id"])
    return ProductPayload(product=Product(document=document))


@refusals_as_user_errors
async def update_product(
    info: Info, id: strawberry.ID, input: ProductUpdateInput
) -> ProductPayload:
    """Partial: only the given fields change. A new stock is a compare-and-set on
    `expectedStock` and is recorded as a movement."""
    product_id = decode_input_id(id, "Product", "id")
    admin = await info.context.viewer.require_user()
    catalog = info.context.services.catalog
    document = await catalog.update_product(product_id, _given(input), admin["_id"])
    return ProductPayload(product=Product(document=document))


@refusals_as_user_errors
async def delete_product(info: Info, id: strawberry.ID) -> DeleteProductPayload:
    await info.context.services.catalog.delete_product(decode_input_id(id, "Product", "id"))
    return DeleteProductPayload(deleted_id=id)


@refusals_as_user_errors
async def adjust_stock(
    info: Info, product_id: strawberry.ID, delta: int, reason: str
) -> ProductPayload:
    """Atomic: concurrent adjustments all apply, and stock never goes below zero."""
    object_id = decode_input_id(product_id, "Product", "productId")
    admin = await info.context.viewer.require_user()
    document = await info.context.services.catalog.adjust_stock(
        object_id, delta, reason, admin["_id"]
    )
    return ProductPayload(product=Product(document=document))
