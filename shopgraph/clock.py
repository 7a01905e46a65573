"""The store's clocks: dates as MongoDB stores them, and epoch milliseconds."""

import time
from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, at the millisecond precision MongoDB stores, so what a request answers right
    after a write is what later reads return."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def now_ms() -> int:
    """Epoch milliseconds: what every server process compares the same way."""
    return time.time_ns() // 1_000_000
