"""Recently served renditions, in memory: a popular thumbnail is read from MongoDB once per
process, not once per request.

Keyed by file id, and a file never changes, so an entry is never stale; a deleted image's
entries are simply never asked for again (its record is gone, the request stops there)
and age out. Bounded by the bytes it holds, least recently used first out.
"""

from collections import OrderedDict

LARGEST_SHARE = 8  # a file over 1/8 of the cache is served but not kept


class RenditionCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._files: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def get(self, blob_id: str) -> bytes | None:
        data = self._files.get(blob_id)
        if data is not None:
            self._files.move_to_end(blob_id)
        return data

    def put(self, blob_id: str, data: bytes) -> None:
        if len(data) > self.max_bytes // LARGEST_SHARE or blob_id in self._files:
            return
        self._files[blob_id] = data
        self._size += len(data)
        while self._size > self.max_bytes:
            _, dropped = self._files.popitem(last=False)
            self._size -= len(dropped)
