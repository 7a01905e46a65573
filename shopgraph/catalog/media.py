"""Serving images: which rendition a request names, and its bytes, made once.

A rendition is made the first time it is asked for and recorded on its image, and every
later request reads it (from memory when it was read recently, see `rendition_cache`).
Requests for one rendition that arrive while it is being made wait for that one making;
processes that make it at the same moment each store a file, but only the first
recorded counts and the others delete theirs, so each rendition is stored once.
"""

import asyncio
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.catalog.image_files import render
from shopgraph.catalog.image_renditions import ImageFormat, Rendition, etag
from shopgraph.catalog.image_storage import ImageStorage
from shopgraph.catalog.image_work import ImageWork
from shopgraph.catalog.rendition_cache import RenditionCache
from shopgraph.documents import Document


@dataclass(frozen=True, slots=True)
class ServedImage:
    """What serving needs to know of a stored image."""

    id: ObjectId
    name: str
    width: int
    height: int
    image_format: ImageFormat
    has_alpha: bool
    blob: str
    renditions: dict[str, str]  # rendition key -> file id

    @classmethod
    def of(cls, document: Document) -> "ServedImage":
        return cls(
            id=document["_id"],
            name=document["name"],
            width=document["width"],
            height=document["height"],
            image_format=ImageFormat(document["format"]),
            has_alpha=bool(document.get("hasAlpha")),
            blob=document["blob"],
            renditions={k: v["blob"] for k, v in (document.get("renditions") or {}).items()},
        )

    def fallback_format(self) -> ImageFormat:
        """For a client that takes no WebP: the image's own format, unless that is WebP."""
        if self.image_format is not ImageFormat.WEBP:
            return self.image_format
        return ImageFormat.PNG if self.has_alpha else ImageFormat.JPEG


@dataclass(frozen=True, slots=True)
class Answer:
    """The representation a request gets: its width (None: the image's own), format and
    ETag, and whether the format was chosen from the Accept header."""

    image: ServedImage
    width: int | None
    image_format: ImageFormat
    etag: str
    negotiated: bool


def answer_for(
    image: ServedImage, name: str, rendition: Rendition, takes_webp: bool
) -> Answer | None:
    """None when the URL is not one `Image.url` gives for this image: another name, or a
    width not below the image's own."""
    if name != image.name or (rendition.width is not None and rendition.width >= image.width):
        return None
    chosen = rendition.image_format
    if chosen is None:
        chosen = ImageFormat.WEBP if takes_webp else image.fallback_format()
    return Answer(
        image=image,
        width=rendition.width,
        image_format=chosen,
        etag=etag(image.id, rendition.width, chosen),
        negotiated=rendition.image_format is None,
    )


class MediaLibrary:
    """One per process: it holds the renditions being made and the cache."""

    def __init__(self, storage: ImageStorage, work: ImageWork, cache: RenditionCache) -> None:
        self.storage = storage
        self.work = work
        self.cache = cache
        self._making: dict[str, asyncio.Task[bytes | None]] = {}

    async def image(self, image_id: ObjectId) -> ServedImage | None:
        """The one metadata read a request makes before answering, 304s included (none
        when the image was looked up in the last seconds, see `RecentImages`)."""
        document = await self.storage.served(image_id)
        return None if document is None else ServedImage.of(document)

    async def content(self, answer: Answer) -> bytes | None:
        """The representation's bytes; None when the image was deleted meanwhile."""
        image, chosen = answer.image, answer.image_format
        if answer.width is None and chosen is image.image_format:
            return await self._read(image.blob)
        key = Rendition(answer.width, chosen).key(chosen)
        blob = image.renditions.get(key)
        if blob is not None:
            return await self._read(blob)
        return await self._made_once(image, answer.width, chosen, key)

    async def _read(self, blob: str) -> bytes | None:
        data = self.cache.get(blob)
        if data is None:
            data = await self.storage.blobs.get(blob)
            if data is not None:
                self.cache.put(blob, data)
        return data

    async def _made_once(
        self, image: ServedImage, width: int | None, chosen: ImageFormat, key: str
    ) -> bytes | None:
        """Every request for the rendition waits for one making of it; the making goes on
        when the request that started it goes away."""
        flight = f"{image.id}/{key}"
        task = self._making.get(flight)
        if task is None:
            task = asyncio.create_task(self._make(image, width, chosen, key))
            self._making[flight] = task
            task.add_done_callback(lambda _: self._making.pop(flight, None))
        return await asyncio.shield(task)

    async def _make(
        self, image: ServedImage, width: int | None, chosen: ImageFormat, key: str
    ) -> bytes | None:
        document = await self.storage.images.one(image.id)  # made elsewhere meanwhile?
        if document is None or _recorded(document, key):
            return await self._read_recorded(document, key)
        async with self.work.turn():  # queued renditions hold no original meanwhile
            original = await self.storage.blobs.get(image.blob)
            if original is None:
                return None
            data = await self.work.in_thread(render, original, width, chosen)
        blob = f"{image.id}/{key}-{ObjectId()}"
        await self.storage.blobs.put(blob, data, chosen.media_type)
        if await self.storage.images.add_rendition(image.id, key, blob, len(data)):
            self.cache.put(blob, data)
            self.storage.recent.forget([image.id])  # read again, with the rendition
            return data
        await self.storage.blobs.delete([blob])  # another process recorded one first
        return await self._read_recorded(await self.storage.images.one(image.id), key)

    async def _read_recorded(self, document: Document | None, key: str) -> bytes | None:
        blob = None if document is None else _recorded(document, key)
        return None if blob is None else await self._read(blob)


def _recorded(image: Document, key: str) -> str | None:
    """The file of the image's rendition, as recorded on it."""
    rendition = (image.get("renditions") or {}).get(key)
    return None if rendition is None else rendition["blob"]
