"""Anonymous catalog answers served from memory, emptied by the products change stream
(docs/operations/response-cache.md)."""

from shopgraph.server.response_cache.caching import ResponseCaching
from shopgraph.server.response_cache.documents import catalog_query
from shopgraph.server.response_cache.store import AnswerStore, StoredAnswer

__all__ = ["AnswerStore", "ResponseCaching", "StoredAnswer", "catalog_query"]
