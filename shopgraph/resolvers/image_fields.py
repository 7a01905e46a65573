"""`Product.images` and `ProductVariant.image`: a page of products reads the images of all
of them in one query, and their variants' choices in one more."""

from typing import Protocol

from shopgraph.datasources.product_variants import StoredVariant
from shopgraph.documents import Document
from shopgraph.resolvers.context import HasDocument, Info
from shopgraph.resolvers.loaders import DocumentKey
from shopgraph.schema.images import Image


class OfVariant(Protocol):
    product_document: Document
    variant: StoredVariant


async def product_images(root: HasDocument, info: Info) -> list[Image]:
    """In the order admins gave them; the first is the product's main picture."""
    images = await info.context.loaders.product_images.load(root.document["_id"])
    return [Image(document=image) for image in images]


async def variant_image(root: OfVariant, info: Info) -> Image | None:
    """The product's image that shows this variant, if an admin picked one."""
    loaders = info.context.loaders
    chosen = await loaders.variant_image.load(DocumentKey(root.variant.id, None))
    if chosen is None:
        return None
    images = await loaders.product_images.load(root.product_document["_id"])
    image = next((image for image in images if image["_id"] == chosen["imageId"]), None)
    return None if image is None else Image(document=image)
