"""Password checks running for each client address, in this process.

The hashing queue (`auth.passwords`) is shared by everyone: one address sending logins
with its own right password (which the throttle forgives) or sign-ups of ever new emails
could keep every slot and every place in the queue taken, and all other clients would be
told the server is busy. Counting the checks each address has running bounds its share.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from shopgraph.errors import DomainError, ErrorCode
from shopgraph.slots import SlotsPerKey

TOO_MANY_AT_ONCE = "Too many password checks from your address at once; try again shortly."


class ChecksInFlight:
    def __init__(self, per_client: int) -> None:
        self.slots = SlotsPerKey(per_client)

    @contextmanager
    def admit(self, client: str, field: str | None = None) -> Iterator[None]:
        """One check for `client`, for as long as the block runs. Raises TOO_MANY_ATTEMPTS
        at once when the client already has its limit running."""
        with self.slots.hold(client) as admitted:
            if not admitted:
                raise DomainError(ErrorCode.TOO_MANY_ATTEMPTS, TOO_MANY_AT_ONCE, field)
            yield
