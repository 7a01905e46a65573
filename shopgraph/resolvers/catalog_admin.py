"""Admin catalog mutations (see `catalog.products` and `catalog.variants`).

Permission (admins only) is checked by the Mutation fields.
"""

import dataclasses

import strawberry
from bson import ObjectId

from shopgraph.catalog.variant_rules import OptionSpec, VariantSpec
from shopgraph.datasources.product_variants import stored_variant
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_input_id, decode_input_variant_id
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.catalog_admin import (
    DeleteProductPayload,
    DeleteVariantPayload,
    ProductCreateInput,
    ProductOptionInput,
    ProductPayload,
    ProductUpdateInput,
    ProductVariantPayload,
    SelectedOptionInput,
    VariantInput,
    VariantUpdateInput,
)
from shopgraph.schema.products import Product
from shopgraph.schema.variants import ProductVariant

NESTED = ("options", "variants")


def _given(input: ProductCreateInput | ProductUpdateInput) -> dict[str, object]:
    """The product's own input fields that were sent, by their Python spelling."""
    return {
        field.name: getattr(input, field.name)
        for field in dataclasses.fields(input)
        if getattr(input, field.name) is not strawberry.UNSET and field.name not in NESTED
    }


def _options(options: list[ProductOptionInput]) -> list[OptionSpec]:
    return [OptionSpec(option.name, tuple(option.values)) for option in options]


def _selected(selected: list[SelectedOptionInput] | None) -> tuple[tuple[str, str], ...] | None:
    return None if selected is None else tuple((s.name, s.value) for s in selected)


def _spec(input: VariantInput | VariantUpdateInput) -> VariantSpec:
    return VariantSpec(input.sku, input.price, input.stock, _selected(input.selected_options))


def _variant(document: Document, variant_id: ObjectId) -> ProductVariant | None:
    variant = stored_variant(document, variant_id)
    return None if variant is None else ProductVariant(product_document=document, variant=variant)


@refusals_as_user_errors
async def create_product(info: Info, input: ProductCreateInput) -> ProductPayload:
    admin = await info.context.viewer.require_user()
    variants = None if input.variants is None else [_spec(variant) for variant in input.variants]
    document = await info.context.services.catalog.create_product(
        _given(input), admin["_id"], _options(input.options or []), variants
    )
    return ProductPayload(product=Product(document=document))


@refusals_as_user_errors
async def update_product(
    info: Info, id: strawberry.ID, input: ProductUpdateInput
) -> ProductPayload:
    """Partial: only the given fields change. A new stock is a compare-and-set on
    `expectedStock` and is recorded as a movement."""
    product_id = decode_input_id(id, "Product", "id")
    admin = await info.context.viewer.require_user()
    given = _given(input)
    if input.options is None and input.options is not strawberry.UNSET:
        raise DomainError(ErrorCode.INVALID, "`options` cannot be null.", "input.options")
    if input.options is not strawberry.UNSET:
        given["options"] = _options(input.options)
    catalog = info.context.services.catalog
    document = await catalog.update_product(product_id, given, admin["_id"])
    return ProductPayload(product=Product(document=document))


@refusals_as_user_errors
async def delete_product(info: Info, id: strawberry.ID) -> DeleteProductPayload:
    await info.context.services.catalog.delete_product(decode_input_id(id, "Product", "id"))
    return DeleteProductPayload(deleted_id=id)


@refusals_as_user_errors
async def adjust_stock(
    info: Info,
    delta: int,
    reason: str,
    product_id: strawberry.ID | None = None,
    variant_id: strawberry.ID | None = None,
) -> ProductPayload:
    """Atomic: concurrent adjustments all apply, and stock never goes below zero. Exactly
    one of `productId` (a product with one variant) and `variantId`."""
    if (product_id is None) == (variant_id is None):
        raise DomainError(
            ErrorCode.INVALID, "Give exactly one of productId and variantId.", "variantId"
        )
    if variant_id is not None:
        product, variant = decode_input_variant_id(variant_id, "variantId")
    else:
        product, variant = decode_input_id(str(product_id), "Product", "productId"), None
    admin = await info.context.viewer.require_user()
    document, adjusted = await info.context.services.catalog.adjust_stock(
        product, variant, delta, reason, admin["_id"]
    )
    return ProductPayload(product=Product(document=document), variant=_variant(document, adjusted))


@refusals_as_user_errors
async def create_variant(
    info: Info, product_id: strawberry.ID, input: VariantInput
) -> ProductVariantPayload:
    product = decode_input_id(product_id, "Product", "productId")
    admin = await info.context.viewer.require_user()
    document, variant_id = await info.context.services.variants.create_variant(
        product, _spec(input), admin["_id"]
    )
    return ProductVariantPayload(
        variant=_variant(document, variant_id), product=Product(document=document)
    )


@refusals_as_user_errors
async def update_variant(
    info: Info, id: strawberry.ID, input: VariantUpdateInput
) -> ProductVariantPayload:
    """Partial; a new stock is a compare-and-set on `expectedStock`."""
    product, variant = decode_input_variant_id(id, "id")
    admin = await info.context.viewer.require_user()
    document = await info.context.services.variants.update_variant(
        product, variant, _spec(input), input.expected_stock, admin["_id"]
    )
    return ProductVariantPayload(
        variant=_variant(document, variant), product=Product(document=document)
    )


@refusals_as_user_errors
async def delete_variant(info: Info, id: strawberry.ID) -> DeleteVariantPayload:
    """Not the last one: a product keeps at least one variant."""
    product, variant = decode_input_variant_id(id, "id")
    admin = await info.context.viewer.require_user()
    document = await info.context.services.variants.delete_variant(product, variant, admin["_id"])
    return DeleteVariantPayload(deleted_id=id, product=Product(document=document))
