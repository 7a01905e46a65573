"""Guesses at an account's password, counted per email in MongoDB.

`login` and `changePassword` share the count: a stolen access token must not become an
unthrottled way to test passwords, and guesses spread over both still add up.
"""

from datetime import timedelta

from bson import ObjectId

from shopgraph.resolvers.context import Context


async def start_attempt(context: Context, email: str) -> ObjectId | None:
    """Records a guess before it is checked; None (nothing recorded) while locked out."""
    settings = context.settings
    attempts = context.datasources.login_attempts
    window = timedelta(seconds=settings.login_window_seconds)
    attempt, recent = await attempts.begin(email, window)
    if recent > settings.login_max_failures:
        await attempts.forget(attempt)  # a refused guess does not extend the lock-out
        return None
    return attempt


async def succeeded(context: Context, email: str) -> None:
    """The right password clears the earlier failures."""
    await context.datasources.login_attempts.clear(email)
