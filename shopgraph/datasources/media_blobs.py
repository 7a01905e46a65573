"""Where image files live: GridFS, in the `media` bucket of the store's database.

This module is the only one that knows how image bytes are kept. A blob is written once
under an id its caller makes unique, read whole, and deleted; what the bytes are (which
image, which rendition) is recorded elsewhere, in `product_images`. To keep the files in
object storage instead (S3, GCS, R2), replace this module with one whose `MediaBlobs`
has the same four methods (docs/operations/media.md).

GridFS splits a file into chunks of 255 KiB in `media.chunks` and describes it in
`media.files`; a write that fails half-way can leave chunks behind but never a file
that reads wrong, since the description is written last.
"""

import contextlib
from collections.abc import Iterable

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo.asynchronous.database import AsyncDatabase

from shopgraph.documents import Document

BUCKET = "media"


class MediaBlobs:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.bucket = AsyncGridFSBucket(database, bucket_name=BUCKET)
        self.files = database[f"{BUCKET}.files"]  # by this name, never as listed (it differs
        # on the embedded server, see EMBEDDED-MONGODB.md)

    async def put(self, blob_id: str, data: bytes, media_type: str) -> None:
        """`blob_id` must be new: blobs are never overwritten."""
        await self.bucket.upload_from_stream_with_id(
            blob_id, blob_id, data, metadata={"contentType": media_type}
        )

    async def get(self, blob_id: str) -> bytes | None:
        """The whole file; None when there is none (deleted meanwhile)."""
        try:
            stream = await self.bucket.open_download_stream(blob_id)
        except NoFile:
            return None
        return await stream.read()

    async def delete(self, blob_ids: Iterable[str]) -> None:
        """Missing blobs are no error: a delete may be repeated after an interruption."""
        for blob_id in blob_ids:
            with contextlib.suppress(NoFile):
                await self.bucket.delete(blob_id)

    async def delete_all(self) -> None:
        """File by file: the embedded server deletes from a bucket by `_id` only."""
        await self.delete([file["_id"] async for file in self.files.find({}, {"_id": 1})])
