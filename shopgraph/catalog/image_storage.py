"""An image's records and files, removed together: with the image, with its product, or
all at once (a catalog reset).

The record goes first, so nothing links to files that are about to go; a process that
stops in between leaves files no record names (a waste of space, never a broken image).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from bson import ObjectId

from shopgraph.catalog.recent_images import RecentImages
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
    """One per process, shared by everything that reads or removes images, so that what
    it removes is forgotten by `recent` at once."""

    images: ProductImagesDatasource
    variant_images: VariantImagesDatasource
    blobs: MediaBlobs
    recent: RecentImages = field(default_factory=lambda: RecentImages(0))

    async def served(self, image_id: ObjectId) -> Document | None:
        """The image's record, as read at most `recent.seconds` ago."""
        document = self.recent.get(image_id)
        if document is None:
            document = await self.images.one(image_id)
            if document is not None:
                self.recent.put(document)
        return document

    async def remove_image(self, image_id: ObjectId) -> Document | None:
        """The image as it was, or None when there was none."""
        image = await self.images.delete(image_id)
        self.recent.forget([image_id])
        if image is not None:
            await self.variant_images.forget_image(image_id)
            await self.blobs.delete(blobs_of(image))
        return image

    async def remove_product(self, product_id: ObjectId) -> None:
        removed = await self.images.delete_of_product(product_id)
        self.recent.forget([image["_id"] for image in removed])
        await self.variant_images.forget_product(product_id)
        await self.blobs.delete(_every_blob(removed))

    async def remove_all(self) -> None:
        await self.images.delete_all()
        self.recent.forget()
        await self.variant_images.delete_all()
        await self.blobs.delete_all()


def _every_blob(images: Iterable[Document]) -> list[str]:
    return [blob for image in images for blob in blobs_of(image)]
