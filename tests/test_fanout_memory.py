"""Keys kept for as long as a subscription or a cached cost must be small: orjson's bytes
keep a 4 KB buffer each, which across 10,000 subscribers is 40 MB."""

import tracemalloc

from shopgraph.schema.cost_limit import CostCache
from shopgraph.server.fanout import group_key

QUERY = "subscription Live($ids: [ID!]) { stockUpdated(productIds: $ids) { stock } }"
VARIABLES = {"ids": ["UHJvZHVjdDo2YjBmMmYzNGMwMTc4ODJjZWVmZDYwNGI="]}


def _bytes_each(make: object, count: int = 500) -> float:
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = [make() for _ in range(count)]  # type: ignore[operator]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert len(kept) == count
    return sum(stat.size_diff for stat in after.compare_to(before, "lineno")) / count


def test_a_subscription_group_key_holds_no_more_than_its_text() -> None:
    assert _bytes_each(lambda: group_key(QUERY, "Live", VARIABLES, False)) < 600


def test_a_cost_cache_key_holds_no_more_than_its_text() -> None:
    assert _bytes_each(lambda: CostCache.key(QUERY, "Live", VARIABLES)) < 600
