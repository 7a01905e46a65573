"""Guesses at an account's password, counted per email in MongoDB.

`login` and `changePassword` share the count: a stolen access token must not become an
unthrottled way to test passwords, and guesses spread over both still add up. Counted in
MongoDB, the throttle holds across server processes.
"""

from dataclasses import dataclass
from datetime import timedelta

from bson import ObjectId

from shopgraph.datasources.login_attempts import LoginAttemptsDatasource


@dataclass(frozen=True, slots=True)
class PasswordThrottle:
    attempts: LoginAttemptsDatasource
    max_failures: int
    window: timedelta

    async def start_attempt(self, email: str) -> ObjectId | None:
        """Records a guess before it is checked; None (nothing recorded) while locked out."""
        attempt, recent = await self.attempts.begin(email, self.window)
        if recent > self.max_failures:
            await self.attempts.forget(attempt)  # a refused guess does not extend the lock-out
            return None
        return attempt

    async def succeeded(self, email: str) -> None:
        """The right password clears the earlier failures."""
        await self.attempts.clear(email)
