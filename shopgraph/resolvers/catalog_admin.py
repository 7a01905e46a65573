"""Admin catalog mutations: create, update, delete, and adjust stock.

Permission (admins only) is checked by the Mutation fields; these decide the rest.
"""

import dataclasses

import strawberry

from shopgraph.datasources.products import SkuTaken
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_input_id
from shopgraph.resolvers.product_rules import MAX_STOCK, product_changes
from shopgraph.schema.catalog_admin import (
    DeleteProductPayload,
    ProductCreateInput,
    ProductPayload,
    ProductUpdateInput,
)
from shopgraph.schema.products import Product
from shopgraph.schema.user_errors import UserError, UserErrorCode, user_error

MAX_REASON = 200


def _given(input: ProductCreateInput | ProductUpdateInput) -> dict[str, object]:
    return {
        field.name: getattr(input, field.name)
        for field in dataclasses.fields(input)
        if getattr(input, field.name) is not strawberry.UNSET
    }


def _sku_taken(sku: object) -> UserError:
    return user_error(
        "input.sku", f"A product with SKU {sku!r} exists.", UserErrorCode.ALREADY_EXISTS
    )


def _not_found(field: str) -> UserError:
    return user_error(field, "There is no such product.", UserErrorCode.NOT_FOUND)


async def create_product(info: Info, input: ProductCreateInput) -> ProductPayload:
    context = info.context
    fields, problems = product_changes(_given(input), context.settings.currency)
    if problems:
        return ProductPayload(user_errors=problems)
    try:
        document = await context.datasources.products.create(fields)
    except SkuTaken:
        return ProductPayload(user_errors=[_sku_taken(fields["sku"])])
    if document["stock"]:
        admin = await context.viewer.require_user()
        await context.datasources.stock_movements.record(
            document["_id"], document["stock"], document["stock"], "created", admin["_id"]
        )
    return ProductPayload(product=Product(document=document))


async def update_product(
    info: Info, id: strawberry.ID, input: ProductUpdateInput
) -> ProductPayload:
    """Partial: only the given fields change. A stock change is recorded as a movement."""
    context = info.context
    product_id = decode_input_id(id, "Product", "id")
    if isinstance(product_id, UserError):
        return ProductPayload(user_errors=[product_id])
    changes, problems = product_changes(_given(input), context.settings.currency)
    if problems:
        return ProductPayload(user_errors=problems)
    try:
        result = await context.datasources.products.update(product_id, changes)
    except SkuTaken:
        return ProductPayload(user_errors=[_sku_taken(changes.get("sku"))])
    if result is None:
        return ProductPayload(user_errors=[_not_found("id")])
    before, after = result
    # From this update alone: a concurrent adjustStock shows in `after` and records its own.
    delta = changes["stock"] - before.get("stock", 0) if "stock" in changes else 0
    if delta:
        admin = await context.viewer.require_user()
        await context.datasources.stock_movements.record(
            product_id, delta, changes["stock"], "updateProduct", admin["_id"]
        )
    return ProductPayload(product=Product(document=after))


async def delete_product(info: Info, id: strawberry.ID) -> DeleteProductPayload:
    """The product leaves the catalog; orders keep their own snapshot of it."""
    product_id = decode_input_id(id, "Product", "id")
    if isinstance(product_id, UserError):
        return DeleteProductPayload(user_errors=[product_id])
    if not await info.context.datasources.products.delete(product_id):
        return DeleteProductPayload(user_errors=[_not_found("id")])
    return DeleteProductPayload(deleted_id=id)


def _adjustment_problems(delta: int, reason: str) -> list[UserError]:
    problems = []
    if delta == 0 or abs(delta) > MAX_STOCK:
        message = f"The delta must be non-zero and at most {MAX_STOCK} either way."
        problems.append(user_error("delta", message, UserErrorCode.INVALID))
    if not 1 <= len(reason) <= MAX_REASON:
        message = f"Give a reason of 1 to {MAX_REASON} characters."
        problems.append(user_error("reason", message, UserErrorCode.INVALID))
    return problems


async def adjust_stock(
    info: Info, product_id: strawberry.ID, delta: int, reason: str
) -> ProductPayload:
    """Atomic: concurrent adjustments all apply, and stock never goes below zero."""
    context = info.context
    products = context.datasources.products
    object_id = decode_input_id(product_id, "Product", "productId")
    if isinstance(object_id, UserError):
        return ProductPayload(user_errors=[object_id])
    reason = reason.strip()
    problems = _adjustment_problems(delta, reason)
    if problems:
        return ProductPayload(user_errors=problems)
    admin = await context.viewer.require_user()
    document = await products.adjust_stock(object_id, delta, MAX_STOCK)
    if document is None:
        available = await products.stock_of(object_id)
        if available is None:
            return ProductPayload(user_errors=[_not_found("productId")])
        if delta > 0:
            message = f"Stock may be at most {MAX_STOCK}: at most {MAX_STOCK - available} more fit."
            return ProductPayload(user_errors=[user_error("delta", message, UserErrorCode.INVALID)])
        message = f"Only {available} in stock; cannot remove {-delta}."
        return ProductPayload(
            user_errors=[user_error("delta", message, UserErrorCode.OUT_OF_STOCK)]
        )
    await context.datasources.stock_movements.record(
        object_id, delta, document["stock"], reason, admin["_id"]
    )
    return ProductPayload(product=Product(document=document))
