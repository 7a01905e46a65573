"""Image records read for serving, kept for a few seconds: a page of thumbnails costs
the database nothing once each image was looked up.

An image's record only ever gains renditions, or goes: a process that deletes an image
forgets it at once (`ImageStorage`), another serves it at most `seconds` longer, which is
nothing beside the year that browsers and CDNs may keep it.
"""

import time
from collections import OrderedDict

from bson import ObjectId

from shopgraph.documents import Document

MAX_RECORDS = 10_000


class RecentImages:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._records: OrderedDict[ObjectId, tuple[float, Document]] = OrderedDict()

    def get(self, image_id: ObjectId) -> Document | None:
        kept = self._records.get(image_id)
        if kept is None:
            return None
        if kept[0] < time.monotonic():
            del self._records[image_id]
            return None
        return kept[1]

    def put(self, document: Document) -> None:
        if self.seconds <= 0:
            return
        self._records[document["_id"]] = (time.monotonic() + self.seconds, document)
        self._records.move_to_end(document["_id"])
        while len(self._records) > MAX_RECORDS:
            self._records.popitem(last=False)

    def forget(self, image_ids: list[ObjectId] | None = None) -> None:
        """These images, or (None) every one."""
        if image_ids is None:
            self._records.clear()
        for image_id in image_ids or ():
            self._records.pop(image_id, None)
