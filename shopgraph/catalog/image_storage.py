"""An image's records and files, removed together: with the image, with its product, or
all at once (a catalog reset).

The record goes first, so nothing links to files that are about to go; a process that
stops in between leaves files no record names (a waste of space, never a broken image).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.datasources.media_blobs import MediaBlobs
from shopgraph.datasources.product_images import ProductImagesDatasource
from shopgraph.datasources.variant_images import VariantImagesDatasource
from shopgraph.documents import Document


def blobs_of(image: Document) -> list[str]:
    """The image's own file and every rendition's."""
    renditions = image.get("renditions") or {}
    return [image["blob"], *(rendition["blob"] for rendition in renditions.values())]


@dataclass(frozen=True, slots=True)
class ImageStorage:
    images: ProductImagesDatasource
    variant_images: VariantImagesDatasource
    blobs: MediaBlobs

    async def remove_image(self, image_id: ObjectId) -> Document | None:
        """The image as it was, or None when there was none."""
        image = await self.images.delete(image_id)
        if image is not None:
            await self.variant_images.forget_image(image_id)
            await self.blobs.delete(blobs_of(image))
        return image

    async def remove_product(self, product_id: ObjectId) -> None:
        removed = await self.images.delete_of_product(product_id)
        await self.variant_images.forget_product(product_id)
        await self.blobs.delete(_every_blob(removed))

    async def remove_all(self) -> None:
        await self.images.delete_all()
        await self.variant_images.delete_all()
        await self.blobs.delete_all()


def _every_blob(images: Iterable[Document]) -> list[str]:
    return [blob for image in images for blob in blobs_of(image)]
