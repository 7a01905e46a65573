"""A user's own account, and accounts made from the command line."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId

from shopgraph.auth.account_rules import (
    email_problems,
    name_problems,
    normalize_email,
    password_problems,
)
from shopgraph.auth.passwords import Passwords
from shopgraph.auth.permissions import ADMIN, CUSTOMER, is_email_verified
from shopgraph.auth.session_ends import SessionEnds
from shopgraph.auth.throttle import PasswordThrottle
from shopgraph.datasources.users import EmailTaken, UsersDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, reject_any

UNVERIFIED_PROMOTION = (
    "This account's email address is not verified, so whoever registered it may not hold "
    "that mailbox. Have its owner verify it first (requestEmailVerification and verifyEmail, "
    "or a password reset, prove they read it), then promote it."
)

DEMO_ACCOUNTS = [
    ("admin@example.com", ADMIN, "Demo Admin"),
    ("customer@example.com", CUSTOMER, "Demo Customer"),
]


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    role: str
    password: str


@dataclass(frozen=True, slots=True)
class Promotion:
    """The account `promote_to_admin` made an admin, as the operator must see it."""

    user_id: ObjectId
    email: str
    name: str
    created_at: datetime
    previous_role: str
    email_verified_at: datetime | None

    @property
    def was_admin(self) -> bool:
        return self.previous_role == ADMIN


def _email_taken() -> DomainError:
    return DomainError(ErrorCode.ALREADY_EXISTS, "An account with this email exists.", "email")


@dataclass(frozen=True, slots=True)
class Accounts:
    users: UsersDatasource
    passwords: Passwords
    throttle: PasswordThrottle
    session_ends: SessionEnds

    async def change_password(
        self, user: Document, current: str, new: str, keep_session: str | None, client: str
    ) -> Document:
        """Also ends every session but `keep_session`: a thief's refresh token stops working.
        Wrong current passwords count towards the login throttle for `client` (the caller's
        address), and are refused with it."""
        async with self.throttle.attempt(user["email"], client, field="currentPassword"):
            verified = await self.passwords.verify(user["passwordHash"], current)
            if not verified.valid:
                raise DomainError(
                    ErrorCode.INVALID_CREDENTIALS,
                    "The current password is wrong.",
                    "currentPassword",
                )
        reject_any(password_problems(new, user["email"], "newPassword"))
        new_hash = await self.passwords.hash(new)
        updated = await self.users.set_password_hash(user["_id"], new_hash)
        await self.session_ends.end_all(user["_id"], except_session=keep_session)
        return updated or user

    async def update_profile(self, user: Document, name: str) -> Document:
        name = name.strip()
        reject_any(name_problems(name, "input.name"))
        return await self.users.update(user["_id"], {"name": name}) or user

    async def create_admin(self, email: str, password: Callable[[], str]) -> str:
        """Creates an admin account, its email verified: the operator vouches for it. An
        email that has an account is refused, never promoted (see `promote_to_admin`).
        `password` is asked for only once the email is known to be free. Raises
        InvalidInput, or DomainError ALREADY_EXISTS."""
        email = normalize_email(email)
        reject_any(email_problems(email, "email"))
        if await self.users.by_email(email) is not None:
            raise _email_taken()
        new_password = password()
        reject_any(password_problems(new_password, email, "password"))
        try:
            password_hash = await self.passwords.hash(new_password)
            await self.users.create(email, "Admin", password_hash, ADMIN, verified=True)
        except EmailTaken as error:  # registered while the password was asked for or hashed
            raise _email_taken() from error
        return f"created admin {email}"

    async def promote_to_admin(self, email: str) -> Promotion:
        """Makes the account with this email an admin, keeping its password, and ends its
        sessions so that nobody goes on with tokens issued before. Says whom it promoted.
        Only a verified email is promoted: anyone may have registered an address first,
        knowing the password they chose. Raises InvalidInput, or DomainError NOT_FOUND or
        INVALID (not verified)."""
        email = normalize_email(email)
        reject_any(email_problems(email, "email"))
        user = await self.users.by_email(email)
        if user is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No account has this email.", "email")
        promotion = Promotion(
            user["_id"],
            user["email"],
            user.get("name", ""),
            user["createdAt"],
            user["role"],
            user.get("emailVerifiedAt"),
        )
        if promotion.was_admin:
            return promotion
        if not is_email_verified(user):
            raise DomainError(ErrorCode.INVALID, UNVERIFIED_PROMOTION, "email")
        await self.users.set_role(user["_id"], ADMIN)
        await self.session_ends.end_all(user["_id"])
        return promotion

    async def create_demo_accounts(self) -> list[DemoAccount]:
        """The demo admin and customer, with random passwords and verified emails (made by
        the operator, like `create_admin`); accounts that exist are kept."""
        created = []
        for email, role, name in DEMO_ACCOUNTS:
            if await self.users.by_email(email) is not None:
                continue
            password = secrets.token_urlsafe(12)
            try:
                password_hash = await self.passwords.hash(password)
                await self.users.create(email, name, password_hash, role, verified=True)
            except EmailTaken:
                continue
            created.append(DemoAccount(email, role, password))
        return created
