"""Sessions: register, log in, refresh and log out.

A session is a family of refresh tokens. Every refresh rotates the token; presenting a
token that was already rotated means it leaked, so the whole session is ended. A session
lasts at most `session_max` from its login, however often it rotates. Ending one ends
its access tokens too (`auth.session_ends`).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shopgraph.auth.account_rules import (
    email_problems,
    name_problems,
    normalize_email,
    password_problems,
)
from shopgraph.auth.after_answer import Defer, run_now
from shopgraph.auth.passwords import Passwords
from shopgraph.auth.permissions import CUSTOMER, is_email_verified
from shopgraph.auth.recovery import Recovery
from shopgraph.auth.session_ends import SessionEnds, session_has_ended
from shopgraph.auth.throttle import PasswordThrottle
from shopgraph.auth.tokens import (
    AccessTokens,
    new_secret_token,
    new_session_id,
    secret_token_hash,
)
from shopgraph.clock import now_ms
from shopgraph.datasources.refresh_tokens import RefreshTokensDatasource
from shopgraph.datasources.users import EmailTaken, UsersDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, reject_any

INVALID_CREDENTIALS = "Wrong email or password."
EMAIL_UNAVAILABLE = (
    "This email address cannot be used for a new account. If it is yours, check your inbox."
)
INVALID_REFRESH_TOKEN = "This refresh token is no longer valid; log in again."


@dataclass(frozen=True, slots=True)
class Session:
    """What logging in gives the client: its tokens, and the user they name."""

    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires
    user: Document


def _invalid_refresh_token() -> DomainError:
    return DomainError(ErrorCode.INVALID_TOKEN, INVALID_REFRESH_TOKEN, "refreshToken")


@dataclass(frozen=True, slots=True)
class Sessions:
    users: UsersDatasource
    refresh_tokens: RefreshTokensDatasource
    passwords: Passwords
    tokens: AccessTokens
    throttle: PasswordThrottle
    session_ends: SessionEnds
    refresh_lifetime: timedelta
    session_max: timedelta  # from the login, however often the session rotates
    recovery: Recovery
    registration_requires_verification: bool = False

    async def _issue(
        self, user: Document, session_id: str, started_ms: int | None = None
    ) -> Session:
        """A new refresh token in the session's family and an access token naming the
        session; `started_ms` None begins a session. The refresh token expires with the
        session at the latest."""
        started_ms = now_ms() if started_ms is None else started_ms
        session_end = datetime.fromtimestamp(started_ms / 1000, UTC) + self.session_max
        refresh_token = new_secret_token()
        await self.refresh_tokens.store(
            secret_token_hash(refresh_token),
            session_id,
            user["_id"],
            min(datetime.now(UTC) + self.refresh_lifetime, session_end),
            started_ms,
        )
        return Session(
            access_token=self.tokens.issue(str(user["_id"]), user["role"], session_id, started_ms),
            refresh_token=refresh_token,
            expires_in=int(self.tokens.lifetime.total_seconds()),
            user=user,
        )

    async def register(
        self, email: str, password: str, name: str, client: str, defer: Defer = run_now
    ) -> Session | None:
        """Creates a customer account, emails it a confirmation code and logs it in (None
        when the address must be verified before any login). A taken email costs the same
        argon2 work and emails the address's owner instead; the caller gets INVALID, which
        does not name the reason, or, where verification comes first, the same None as a
        new account. Every sign-up counts as a password attempt of `client`, an address,
        new email or taken alike (`PasswordThrottle.signup`). Raises InvalidInput or
        TOO_MANY_ATTEMPTS."""
        email = normalize_email(email)
        name = name.strip()
        reject_any(
            email_problems(email, "input.email")
            + password_problems(password, email, "input.password")
            + name_problems(name, "input.name")
        )
        async with self.throttle.signup(client):
            password_hash = await self.passwords.hash(password)  # a taken email costs the same
        try:
            user = await self.users.create(email, name, password_hash, CUSTOMER)
        except EmailTaken:  # the unique index decides, also between concurrent sign-ups
            await self.recovery.tell_owner_of_signup_attempt(email, defer)
            if self.registration_requires_verification:
                return None
            raise DomainError(ErrorCode.INVALID, EMAIL_UNAVAILABLE, "input.email") from None
        await self.recovery.welcome(user, defer)
        if self.registration_requires_verification:
            return None
        return await self._issue(user, new_session_id())

    async def login(self, email: str, password: str, client: str) -> Session:
        """The same answer, after the same argon2 work, for an unknown email and a wrong
        password. `client` is the caller's address, which the throttle counts per email and
        overall. Raises TOO_MANY_ATTEMPTS or INVALID_CREDENTIALS."""
        email = normalize_email(email)
        async with self.throttle.attempt(email, client):
            user = await self.users.by_email(email)
            if user is None:
                await self.passwords.verify_nothing(password)
                raise DomainError(ErrorCode.INVALID_CREDENTIALS, INVALID_CREDENTIALS)
            verified = await self.passwords.verify(user["passwordHash"], password)
            if not verified.valid:  # the attempt stays counted
                raise DomainError(ErrorCode.INVALID_CREDENTIALS, INVALID_CREDENTIALS)
            if self.registration_requires_verification and not is_email_verified(user):
                # The same answer as a wrong password, and counted as one: nothing tells a
                # stranger that they guessed the password of an unverified account.
                raise DomainError(ErrorCode.INVALID_CREDENTIALS, INVALID_CREDENTIALS)
        if verified.new_hash:  # hashed under older parameters
            await self.users.replace_password_hash(
                user["_id"], user["passwordHash"], verified.new_hash
            )
        return await self._issue(user, new_session_id())

    async def refresh(self, refresh_token: str) -> Session:
        """Rotates the token; a replayed one ends its whole session, and so does one
        past the session's absolute lifetime. Raises INVALID_TOKEN."""
        token_hash = secret_token_hash(refresh_token)
        record = await self.refresh_tokens.use(token_hash)
        if record is None:
            known = await self.refresh_tokens.find(token_hash)
            if known is not None:  # rotated, revoked or expired: a replay ends the session
                await self.session_ends.end(known["userId"], known["familyId"])
            raise _invalid_refresh_token()
        session_id = record["familyId"]
        started_ms = self.refresh_tokens.session_started_ms(record)
        found = await self.users.by_ids([record["userId"]], None)
        user = found.get(record["userId"])
        if (
            user is None
            or session_has_ended(user, session_id, started_ms)
            or now_ms() >= started_ms + self.session_max.total_seconds() * 1000
        ):
            await self.session_ends.end(record["userId"], session_id)
            raise _invalid_refresh_token()
        session = await self._issue(user, session_id, started_ms)
        if await self.refresh_tokens.is_family_revoked(session_id):  # a concurrent replay
            await self.session_ends.end(record["userId"], session_id)
            raise _invalid_refresh_token()
        return session

    async def logout(self, refresh_token: str) -> None:
        """Ends the session the refresh token belongs to, and with it its access tokens.
        Raises INVALID_TOKEN for a token it does not know."""
        known = await self.refresh_tokens.find(secret_token_hash(refresh_token))
        if known is None:
            raise _invalid_refresh_token()
        await self.session_ends.end(known["userId"], known["familyId"])
