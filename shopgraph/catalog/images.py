"""Admins add, describe, reorder and delete a product's images, and pick a variant's.

An upload is checked and cleaned (`image_files`) before anything is stored, so a refused
file leaves nothing behind. A product has at most `MAX_IMAGES`, however many uploads race
(each takes one of its slots). An upload that races the deletion of its product removes
itself: the deletion removes the images it finds, and the upload looks for its product
again after storing, so one of the two sees the other.
"""

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.catalog.image_files import CleanImage, ImageLimits, clean_upload
from shopgraph.catalog.image_renditions import name_for
from shopgraph.catalog.image_storage import ImageStorage
from shopgraph.catalog.image_work import ImageWork
from shopgraph.catalog.refusals import not_found
from shopgraph.datasources.product_images import slot_of
from shopgraph.datasources.product_variants import stored_variant
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, InvalidInput, Problem

MAX_IMAGES = 20
MAX_ALT_TEXT = 500


def checked_alt_text(alt_text: str | None, field: str) -> str | None:
    """Blank is none; longer than `MAX_ALT_TEXT` is refused."""
    text = (alt_text or "").strip()
    if len(text) > MAX_ALT_TEXT:
        raise InvalidInput([Problem(field, f"Give at most {MAX_ALT_TEXT} characters.")])
    return text or None


def _too_many(field: str) -> DomainError:
    message = f"A product has at most {MAX_IMAGES} images: delete one first."
    return DomainError(ErrorCode.INVALID, message, field)


@dataclass(frozen=True, slots=True)
class ProductImages:
    storage: ImageStorage
    products: ProductsDatasource
    work: ImageWork
    limits: ImageLimits

    async def upload(self, product_id: ObjectId, data: bytes, alt_text: str | None) -> Document:
        """The stored image. Raises InvalidInput (`file`, `altText`), NOT_FOUND
        (`productId`), or INVALID when the product has its most images."""
        alt = checked_alt_text(alt_text, "altText")
        product = await self._product(product_id)
        if len(await self.storage.images.of_product(product_id)) >= MAX_IMAGES:
            raise _too_many("productId")  # before decoding; the slots decide races
        clean = await self.work.run(clean_upload, data, self.limits, "file")
        return await self._add(product, clean, alt)

    async def _product(self, product_id: ObjectId) -> Document:
        found = await self.products.by_ids([product_id], ["name"])
        if product_id not in found:
            raise not_found("productId")
        return found[product_id]

    async def _add(self, product: Document, clean: CleanImage, alt: str | None) -> Document:
        image_id = ObjectId()
        blob = f"{image_id}/full.{clean.image_format.extension}"
        await self.storage.blobs.put(blob, clean.data, clean.image_format.media_type)
        document: Document = {
            "_id": image_id,
            "productId": product["_id"],
            "altText": alt,
            "name": name_for(product.get("name") or ""),
            "format": clean.image_format.value,
            "width": clean.width,
            "height": clean.height,
            "hasAlpha": clean.has_alpha,
            "size": len(clean.data),
            "digest": clean.digest,
            "blob": blob,
            "renditions": {},
        }
        if not await self._take_slot(document):
            await self.storage.blobs.delete([blob])
            raise _too_many("productId")
        if not await self.products.by_ids([product["_id"]], ["_id"]):
            await self.storage.remove_image(image_id)  # its product was deleted meanwhile
            raise not_found("productId")
        return document

    async def _take_slot(self, document: Document) -> bool:
        """Stores the image in a free slot of its product, after its other images; False
        when every slot is taken."""
        product_id = document["productId"]
        for _ in range(MAX_IMAGES + 1):
            images = await self.storage.images.of_product(product_id)
            taken = {image["slot"] for image in images}
            free = [n for n in range(MAX_IMAGES) if slot_of(product_id, n) not in taken]
            if not free:
                return False
            document["slot"] = slot_of(product_id, free[0])
            document["position"] = max((image["position"] for image in images), default=-1) + 1
            if await self.storage.images.insert(document):
                return True
        return False

    async def update(self, image_id: ObjectId, given: Mapping[str, object]) -> Document:
        """`given` holds `alt_text` and `position` when they are to change. `position` is
        the image's place among its product's images, from 0."""
        alt = checked_alt_text(given.get("alt_text"), "altText") if "alt_text" in given else None
        image = await self.storage.images.one(image_id)
        if image is None:
            raise not_found("id", "image")
        position = given.get("position")
        if isinstance(position, int):
            await self._move(image, position)
        if "alt_text" in given:
            image = await self.storage.images.set_alt_text(image_id, alt)
        else:
            image = await self.storage.images.one(image_id)
        if image is None:
            raise not_found("id", "image")
        return image

    async def _move(self, image: Document, position: int) -> None:
        """Renumbers the product's images 0, 1, ... with `image` at `position`. Concurrent
        moves of one product's images may interleave: each image keeps one place, and ties
        show in upload order."""
        images = await self.storage.images.of_product(image["productId"])
        if not 0 <= position < len(images):
            message = f"Give a position from 0 to {len(images) - 1}."
            raise InvalidInput([Problem("position", message)])
        order = [other for other in images if other["_id"] != image["_id"]]
        order.insert(position, image)
        await self.storage.images.set_positions(
            {
                other["_id"]: index
                for index, other in enumerate(order)
                if other.get("position") != index
            }
        )

    async def delete(self, image_id: ObjectId) -> Document:
        """The deleted image; its files and the variants that showed it let go of it."""
        image = await self.storage.remove_image(image_id)
        if image is None:
            raise not_found("id", "image")
        return image

    async def set_variant_image(
        self, product_id: ObjectId, variant_id: ObjectId, image_id: ObjectId | None
    ) -> Document:
        """The variant's product. `image_id` None: the variant shows no image of its own.
        The image must be one of the product's."""
        product = await self.products.with_variants(product_id)
        if product is None or stored_variant(product, variant_id) is None:
            raise not_found("variantId", "variant")
        variant_images = self.storage.variant_images
        if image_id is None:
            await variant_images.clear(variant_id)
            return product
        image = await self.storage.images.one(image_id)
        if image is None or image["productId"] != product_id:
            raise not_found("imageId", "image of this product")
        await variant_images.set(variant_id, product_id, image_id)
        if await self.storage.images.one(image_id) is None:  # deleted meanwhile
            await variant_images.clear(variant_id)
            raise not_found("imageId", "image of this product")
        return product

    async def add_missing(
        self, product_ids: Iterable[ObjectId], draw: Callable[[Document], bytes]
    ) -> int:
        """Gives each of these products that exists and has no image one that `draw` makes
        of it (the demo catalog's pictures); returns how many were added."""
        products = await self.products.by_ids(product_ids, None)
        held = await self.storage.images.of_products(products)
        bare = [product for product_id, product in products.items() if not held.get(product_id)]

        async def add(product: Document) -> None:
            clean = await self.work.run(_drawn, draw, product, self.limits)
            await self._add(product, clean, product.get("name"))

        await asyncio.gather(*(add(product) for product in bare))
        return len(bare)


def _drawn(draw: Callable[[Document], bytes], product: Document, limits: ImageLimits) -> CleanImage:
    return clean_upload(draw(product), limits, "file")
