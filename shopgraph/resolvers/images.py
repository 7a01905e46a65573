"""Admin image mutations (see `catalog.images`), and `node(id)` for images.

Permission (admins only) is checked by the Mutation fields. The file comes as a part of
a multipart request (the GraphQL multipart request specification).
"""

from collections.abc import Sequence
from typing import Protocol

import strawberry
from bson import ObjectId
from strawberry.file_uploads import Upload

from shopgraph.errors import DomainError, ErrorCode
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_input_id, decode_input_variant_id, object_id
from shopgraph.resolvers.loaders import DocumentKey
from shopgraph.resolvers.products import visible_product, visible_variant
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.catalog_admin import ProductVariantPayload
from shopgraph.schema.image_admin import DeleteProductImagePayload, ProductImagePayload
from shopgraph.schema.images import Image
from shopgraph.schema.products import Product


class UploadedFile(Protocol):
    """What a multipart part arrives as (Starlette's UploadFile)."""

    async def read(self, size: int = -1) -> bytes: ...


async def read_upload(file: UploadedFile, max_bytes: int) -> bytes:
    """At most `max_bytes`: one byte more tells that the file is larger, without reading it
    all (the request's body limit bounds it anyway)."""
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        message = f"The file is larger than {max_bytes:,} bytes."
        raise DomainError(ErrorCode.INVALID, message, "file")
    return data


async def _product(info: Info, product_id: ObjectId) -> Product | None:
    document = await info.context.loaders.product.load(DocumentKey(product_id, None))
    return None if document is None else Product(document=document)


@refusals_as_user_errors
async def upload_product_image(
    info: Info, product_id: strawberry.ID, file: Upload, alt_text: str | None = None
) -> ProductImagePayload:
    """Added after the product's other images. The file's type is read from its bytes;
    JPEG, PNG and WebP only."""
    product = decode_input_id(product_id, "Product", "productId")
    data = await read_upload(file, info.context.settings.max_image_bytes)  # type: ignore[arg-type]
    image = await info.context.services.images.upload(product, data, alt_text)
    return ProductImagePayload(image=Image(document=image), product=await _product(info, product))


@refusals_as_user_errors
async def update_product_image(
    info: Info,
    id: strawberry.ID,
    alt_text: str | None = strawberry.UNSET,
    position: int | None = strawberry.UNSET,
) -> ProductImagePayload:
    """Only what is given changes; `altText: null` clears it. `position` moves the image
    among its product's images (0 is first)."""
    image_id = decode_input_id(id, "Image", "id")
    given: dict[str, object] = {}
    if alt_text is not strawberry.UNSET:
        given["alt_text"] = alt_text
    if position is not strawberry.UNSET and position is not None:
        given["position"] = position
    image = await info.context.services.images.update(image_id, given)
    return ProductImagePayload(
        image=Image(document=image), product=await _product(info, image["productId"])
    )


@refusals_as_user_errors
async def delete_product_image(info: Info, id: strawberry.ID) -> DeleteProductImagePayload:
    """Its files go with it; variants that showed it show none."""
    image = await info.context.services.images.delete(decode_input_id(id, "Image", "id"))
    return DeleteProductImagePayload(
        deleted_id=id, product=await _product(info, image["productId"])
    )


@refusals_as_user_errors
async def set_variant_image(
    info: Info, variant_id: strawberry.ID, image_id: strawberry.ID | None = None
) -> ProductVariantPayload:
    """One of the product's images; `imageId: null` (or left out) clears the choice."""
    product_id, variant = decode_input_variant_id(variant_id, "variantId")
    image = None if image_id is None else decode_input_id(image_id, "Image", "imageId")
    document = await info.context.services.images.set_variant_image(product_id, variant, image)
    return ProductVariantPayload(
        variant=await visible_variant(info, document, variant),
        product=await _product(info, product_id),
    )


async def images_by_node_ids(info: Info, node_ids: Sequence[str]) -> list[Image | None]:
    """`node(id)` refetch: the images of products the caller may not see are null."""
    keys = [DocumentKey(object_id(node_id, "Image"), None) for node_id in node_ids]
    images = await info.context.loaders.image.load_many(keys)
    products = await info.context.loaders.product.load_many(
        [DocumentKey(image["productId"], None) for image in images if image is not None]
    )
    visible = {
        product.document["_id"]
        for product in [await visible_product(info, doc) for doc in products]
        if product is not None
    }
    return [
        Image(document=image) if image is not None and image["productId"] in visible else None
        for image in images
    ]
