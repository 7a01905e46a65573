"""Password checks running for each client address, in this process.

The hashing queue (`auth.passwords`) is shared by everyone: one address sending logins
with its own right password (which the throttle forgives) or sign-ups of ever new emails
could keep every slot and every place in the queue taken, and all other clients would be
told the server is busy. Counting the checks each address has running bounds its share.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from shopgraph.errors import DomainError, ErrorCode

TOO_MANY_AT_ONCE = "Too many password checks from your address at once; try again shortly."


class ChecksInFlight:
    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self._running: dict[str, int] = {}

    @contextmanager
    def admit(self, client: str, field: str | None = None) -> Iterator[None]:
        """One check for `client`, for as long as the block runs. Raises TOO_MANY_ATTEMPTS
        at once when the client already has `per_client` running. The check and the count
        happen with no await between them, so on one event loop no two requests can both
        take a client's last place."""
        running = self._running.get(client, 0)
        if running >= self.per_client:
            raise DomainError(ErrorCode.TOO_MANY_ATTEMPTS, TOO_MANY_AT_ONCE, field)
        self._running[client] = running + 1
        try:
            yield
        finally:
            left = self._running[client] - 1
            if left:
                self._running[client] = left
            else:
                del self._running[client]  # memory follows the requests in flight

    def running(self, client: str) -> int:
        return self._running.get(client, 0)

    @property
    def clients(self) -> int:
        """Addresses with a check running now."""
        return len(self._running)
