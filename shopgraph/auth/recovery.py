"""Account recovery and verification: password reset by email, and proving an address.

Both work with one-time codes sent by email: 256 random bits, stored only as a SHA-256
hash, good for one use within their lifetime (see `datasources.account_tokens`).

Asking for a reset answers the same, in the same time, whether or not the address has an
account: the only work done before the answer (taking a slot of the client's and of the
address's mail quota) does not depend on it, and everything else waits until the answer
has gone out (`Defer`).
A new reset code makes the older ones stop working, so only the newest email is live.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial

from shopgraph.auth.account_mail import AccountMail, AccountMailKind
from shopgraph.auth.account_messages import (
    email_verification_message,
    password_reset_message,
    signup_attempt_message,
)
from shopgraph.auth.account_rules import email_problems, normalize_email, password_problems
from shopgraph.auth.after_answer import Defer
from shopgraph.auth.passwords import Passwords
from shopgraph.auth.permissions import is_email_verified
from shopgraph.auth.session_ends import SessionEnds
from shopgraph.auth.throttle import PasswordThrottle
from shopgraph.auth.tokens import new_secret_token, secret_token_hash
from shopgraph.datasources.account_tokens import AccountTokensDatasource
from shopgraph.datasources.users import UsersDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, reject_any

# Codes we issue are 43 characters; anything much longer is refused without a lookup.
MAX_TOKEN_LENGTH = 128
INVALID_RESET_CODE = (
    "This reset code does not work: it was used, it expired, or a newer one was sent. "
    "Ask for a new one."
)
INVALID_VERIFICATION_CODE = (
    "This confirmation code does not work: it was used or it expired. Ask for a new one."
)
VERIFICATION_RECENTLY_SENT = (
    "A confirmation email was sent to you a moment ago; check your inbox, or ask again later."
)


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"


@dataclass(frozen=True, slots=True)
class Recovery:
    users: UsersDatasource
    account_tokens: AccountTokensDatasource
    mail: AccountMail
    passwords: Passwords
    throttle: PasswordThrottle
    session_ends: SessionEnds
    reset_lifetime: timedelta
    verification_lifetime: timedelta

    async def request_password_reset(self, email: str, client: str, defer: Defer) -> None:
        """Emails a reset code if the address has an account, within the mail quotas of
        `client` (the caller's address) and of the email address. Never refuses: the
        caller must not learn whether the address is known."""
        email = normalize_email(email)
        if email_problems(email, "email"):  # no account can have it
            return
        if not await self.mail.client_may_ask_reset(client):
            return
        if await self.mail.may_send(AccountMailKind.PASSWORD_RESET, email):
            await defer(partial(self._send_reset_code, email))

    async def reset_password(self, token: str, new_password: str, client: str) -> None:
        """Sets the password and ends every session of the account; the code is used up,
        and `client` (the address that used it) is forgiven its failed logins for the
        account; other clients' failures stay counted. Raises INVALID_TOKEN, or InvalidInput
        for a password the rules refuse (the code then stays usable)."""
        record = await self._live(token, TokenPurpose.PASSWORD_RESET)
        user = await self._owner(record) if record else None
        if record is None or user is None:
            raise DomainError(ErrorCode.INVALID_TOKEN, INVALID_RESET_CODE, "token")
        reject_any(password_problems(new_password, user["email"], "newPassword"))
        password_hash = await self.passwords.hash(new_password)
        if not await self.account_tokens.use(record["_id"]):  # a concurrent reset used it
            raise DomainError(ErrorCode.INVALID_TOKEN, INVALID_RESET_CODE, "token")
        await self.users.set_password_hash(user["_id"], password_hash)
        await self.session_ends.end_all(user["_id"])
        await self.account_tokens.revoke(user["_id"], TokenPurpose.PASSWORD_RESET)
        # The code reached the mailbox: the address is proven, and its owner is back in.
        await self.users.mark_email_verified(user["_id"], record["email"])
        await self.throttle.succeeded(user["email"], client)

    async def request_email_verification(self, user: Document, defer: Defer) -> None:
        """Emails a confirmation code; nothing to do for a verified address. Raises
        TOO_MANY_ATTEMPTS when the address's mail quota is used up."""
        if is_email_verified(user):
            return
        if not await self.mail.may_send(AccountMailKind.EMAIL_VERIFICATION, user["email"]):
            raise DomainError(ErrorCode.TOO_MANY_ATTEMPTS, VERIFICATION_RECENTLY_SENT)
        await defer(partial(self._send_verification_code, user))

    async def verify_email(self, token: str) -> Document:
        """Marks the address the code was sent to as verified; returns the account. Raises
        INVALID_TOKEN."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise DomainError(ErrorCode.INVALID_TOKEN, INVALID_VERIFICATION_CODE, "token")
        record = await self.account_tokens.use_live(
            secret_token_hash(token), TokenPurpose.EMAIL_VERIFICATION
        )
        user = None
        if record is not None:
            user = await self.users.mark_email_verified(record["userId"], record["email"])
        if record is None or user is None:
            raise DomainError(ErrorCode.INVALID_TOKEN, INVALID_VERIFICATION_CODE, "token")
        await self.account_tokens.revoke(user["_id"], TokenPurpose.EMAIL_VERIFICATION)
        return user

    async def welcome(self, user: Document, defer: Defer) -> None:
        """A new account's first confirmation email (unless the address's quota is used up)."""
        if await self.mail.may_send(AccountMailKind.EMAIL_VERIFICATION, user["email"]):
            await defer(partial(self._send_verification_code, user))

    async def tell_owner_of_signup_attempt(self, email: str, defer: Defer) -> None:
        """Registering a taken email tells its owner, not the caller."""
        if await self.mail.may_send(AccountMailKind.SIGNUP_ATTEMPT, email):
            message = signup_attempt_message(email)
            await defer(partial(self.mail.send, AccountMailKind.SIGNUP_ATTEMPT, message))

    async def _send_reset_code(self, email: str) -> None:
        user = await self.users.by_email(email)
        if user is None:
            return
        # Before the new code exists: two racing requests leave two live codes, never none.
        await self.account_tokens.revoke(user["_id"], TokenPurpose.PASSWORD_RESET)
        token = await self._issue(user, TokenPurpose.PASSWORD_RESET, self.reset_lifetime)
        minutes = int(self.reset_lifetime.total_seconds() // 60)
        message = password_reset_message(email, token, minutes)
        await self.mail.send(AccountMailKind.PASSWORD_RESET, message)

    async def _send_verification_code(self, user: Document) -> None:
        lifetime = self.verification_lifetime
        token = await self._issue(user, TokenPurpose.EMAIL_VERIFICATION, lifetime)
        hours = int(lifetime.total_seconds() // 3600)
        message = email_verification_message(user["email"], token, hours)
        await self.mail.send(AccountMailKind.EMAIL_VERIFICATION, message)

    async def _issue(self, user: Document, purpose: TokenPurpose, lifetime: timedelta) -> str:
        token = new_secret_token()
        expires_at = datetime.now(UTC) + lifetime
        await self.account_tokens.issue(
            secret_token_hash(token), purpose, user["_id"], user["email"], expires_at
        )
        return token

    async def _live(self, token: str, purpose: TokenPurpose) -> Document | None:
        if len(token) > MAX_TOKEN_LENGTH:
            return None
        return await self.account_tokens.find_live(secret_token_hash(token), purpose)

    async def _owner(self, record: Document) -> Document | None:
        """The account the code was sent for, if it still has the address it was sent to."""
        found = await self.users.by_ids([record["userId"]], None)
        user = found.get(record["userId"])
        return user if user is not None and user["email"] == record["email"] else None
