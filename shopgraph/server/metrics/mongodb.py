"""MongoDB commands timed as the driver saw them, by command and collection.

The live stock feed's commands (their `comment` is LIVE_FEED) are left out: its
change stream's `getMore`s wait for changes by design, so their time is idle time, and
on a server that answers them at once they would be most of the commands counted.
"""

from collections.abc import Hashable

from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from shopgraph.datasources.products import LIVE_FEED
from shopgraph.server.metrics.instruments import MONGODB_COMMAND_FAILURES, MONGODB_COMMAND_SECONDS
from shopgraph.server.metrics.labels import COLLECTION_NAME, BoundedLabels

MAX_NAMES = 100  # commands, and collections: Shopgraph uses a few dozen of each


class CommandTimings(CommandListener):
    def __init__(self) -> None:
        self.commands = BoundedLabels(MAX_NAMES)
        self.collections = BoundedLabels(MAX_NAMES, COLLECTION_NAME)
        # The labels of each command under way, by connection and request; None: left out.
        self._running: dict[tuple[Hashable, int], tuple[str, str] | None] = {}

    def started(self, event: CommandStartedEvent) -> None:
        key = (event.connection_id, event.request_id)
        if event.command.get("comment") == LIVE_FEED:
            self._running[key] = None
            return
        name = event.command_name
        target = event.command.get(name)
        collection = target if isinstance(target, str) else event.command.get("collection")
        self._running[key] = (
            self.commands.label(name),
            self.collections.label(collection) if isinstance(collection, str) else "",
        )

    def succeeded(self, event: CommandSucceededEvent) -> None:
        self._finished(event, failed=False)

    def failed(self, event: CommandFailedEvent) -> None:
        self._finished(event, failed=True)

    def _finished(self, event: CommandSucceededEvent | CommandFailedEvent, failed: bool) -> None:
        labels = self._running.pop((event.connection_id, event.request_id), None)
        if labels is None:
            return
        MONGODB_COMMAND_SECONDS.labels(*labels).observe(event.duration_micros / 1_000_000)
        if failed:
            MONGODB_COMMAND_FAILURES.labels(*labels).inc()
