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
- A client address with `in_flight.per_client` checks running in this process is refused
  at once (`auth.checks_in_flight`): it cannot fill the hashing queue shared by everyone.

`login` and `changePassword` share the counts: a stolen access token must not become an
unthrottled way to test passwords. A right password clears that client's failures for
that email. A sign-up counts as a password attempt of its address, whether its email was
new or taken, and nothing clears it: the count cannot tell a client which it was, and
sign-ups per address are bounded by the client's limit. Counted in MongoDB, the throttle
holds across server processes.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from shopgraph.auth.checks_in_flight import ChecksInFlight
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
    in_flight: ChecksInFlight  # this process's checks per client address, running now

    @asynccontextmanager
    async def attempt(
        self, email: str, client: str, field: str | None = None
    ) -> AsyncIterator[None]:
        """Guards one password check. Raises TOO_MANY_ATTEMPTS before the body runs, also
        when the client has too many checks running (`in_flight`; not counted). A body
        that returns means the password was right: the client's failures for the email
        are cleared. A body that raises leaves the attempt counted as a failure, unless
        the password was never checked (the hashing queue was full)."""
        with self.in_flight.admit(client, field):
            attempt_id, recent = await self.attempts.begin(email, client, self.window)
            refusal = await self._refusal(email, recent)
            if refusal is not None:
                await self.attempts.forget(attempt_id)  # knocking does not extend a lock-out
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
        """Clears the client's failures for the email: it gave the right password, or
        proved it owns the account some other way (a password reset)."""
        await self.attempts.clear(email, client)

    @asynccontextmanager
    async def signup(self, client: str, field: str | None = None) -> AsyncIterator[None]:
        """Guards the password hash of one registration, counted for `client` before the
        body runs and kept whatever the registration's outcome. Raises TOO_MANY_ATTEMPTS
        when the client is over its limit or has too many checks running (neither refusal
        is counted). The hashing queue being full is no attempt either: nothing was hashed."""
        with self.in_flight.admit(client, field):
            attempt_id, by_client = await self.attempts.begin_signup(client, self.window)
            if by_client > self.client_max_failures:
                await self.attempts.forget(attempt_id)
                raise DomainError(ErrorCode.TOO_MANY_ATTEMPTS, CLIENT_LOCKED_OUT, field)
            try:
                yield
            except HashingBusy:
                await self.attempts.forget(attempt_id)
                raise
