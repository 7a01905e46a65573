"""Work a use case leaves for after its answer has gone out.

Whether an email address has an account must not show in how long a request takes, so
the work that only a real account causes (issuing a token, writing the email) is handed to
a `Defer` instead of being awaited before the answer. The API defers it until the HTTP
response is sent; elsewhere (the CLI, a WebSocket operation) it simply runs at once.
"""

from collections.abc import Awaitable, Callable

FollowUp = Callable[[], Awaitable[None]]
Defer = Callable[[FollowUp], Awaitable[None]]


async def run_now(work: FollowUp) -> None:
    """The `Defer` for callers with no answer to send first."""
    await work()
