"""Guesses at passwords, counted per client address and per email in MongoDB.

The rules, checked before any password work:
- A client address with more than `client_max_failures` failed checks in the window,
  against any emails, is refused: one client cannot spray passwords across accounts.
- A client address that failed `max_failures` times against an email is refused for that
  email until its failures leave the window.
- A client address that has not failed against an email is never refused for it because
  of other clients: the owner keeps logging in while an attacker elsewhere hammers the
  account. A client that has failed against it is also refused once the email's failures
  from all clients exceed `email_max_failures` (a slower, distributed attack).

`login` and `changePassword` share the counts: a stolen access token must not become an
unthrottled way to test passwords. A right password clears that client's failures for
that email. Counted in MongoDB, the throttle holds across server processes.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from shopgraph.auth.passwords import HashingBusy
from shopgraph.datasources.login_attempts import LoginAttemptsDatasource, RecentAttempts
from shopgraph.errors import DomainError, ErrorCode

CLIENT_LOCKED_OUT = "Too many failed password checks from your address; try again later."
# For login and changePassword alike: they share the counts.
EMAIL_LOCKED_OUT = "Too many wrong passwords for this email; try again later."


@dataclass(frozen=True, slots=True)
class PasswordThrottle:
    attempts: LoginAttemptsDatasource
    max_failures: int  # per client address and email
    client_max_failures: int  # per client address, across emails
    email_max_failures: int  # per email, across clients; binds only clients that failed it
    window: timedelta

    @asynccontextmanager
    async def attempt(
        self, email: str, client: str, field: str | None = None
    ) -> AsyncIterator[None]:
        """Guards one password check. Raises TOO_MANY_ATTEMPTS before the body runs. A
        body that returns means the password was right: the client's failures for the
        email are cleared. A body that raises leaves the attempt counted as a failure,
        unless the password was never checked (the hashing queue was full)."""
        attempt_id, recent = await self.attempts.begin(email, client, self.window)
        refusal = await self._refusal(email, recent)
        if refusal is not None:
            await self.attempts.forget(attempt_id)  # a refused guess does not extend the lock-out
            raise DomainError(ErrorCode.TOO_MANY_ATTEMPTS, refusal, field)
        try:
            yield
        except HashingBusy:
            await self.attempts.forget(attempt_id)
            raise
        await self.succeeded(email, client)

    async def _refusal(self, email: str, recent: RecentAttempts) -> str | None:
        if recent.by_client > self.client_max_failures:
            return CLIENT_LOCKED_OUT
        if recent.by_client_for_email > self.max_failures:
            return EMAIL_LOCKED_OUT
        failed_before = recent.by_client_for_email > 1  # the attempt just recorded is one
        if failed_before:
            total = await self.attempts.recent_for_email(email, self.window)
            if total > self.email_max_failures:
                return EMAIL_LOCKED_OUT
        return None

    async def succeeded(self, email: str, client: str) -> None:
        """The client proved it owns the account some other way (a password reset)."""
        await self.attempts.clear(email, client)

    async def count_failure(self, email: str, client: str) -> None:
        """A probe that needed no password check (registering a taken email) costs the
        client as much as a wrong password."""
        await self.attempts.begin(email, client, self.window)

    async def refuse_locked_out_client(self, client: str, field: str | None = None) -> None:
        """For other password work (registering hashes one): a client address over its
        limit is refused before it. Raises TOO_MANY_ATTEMPTS."""
        if await self.attempts.recent_by_client(client, self.window) >= self.client_max_failures:
            raise DomainError(ErrorCode.TOO_MANY_ATTEMPTS, CLIENT_LOCKED_OUT, field)
