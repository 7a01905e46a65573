"""A user's own account, and accounts made from the command line."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.auth.account_rules import (
    email_problems,
    name_problems,
    normalize_email,
    password_problems,
)
from shopgraph.auth.passwords import Passwords
from shopgraph.auth.permissions import ADMIN, CUSTOMER
from shopgraph.auth.throttle import PasswordThrottle
from shopgraph.datasources.refresh_tokens import RefreshTokensDatasource
from shopgraph.datasources.users import EmailTaken, UsersDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, reject_any

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
class Accounts:
    users: UsersDatasource
    refresh_tokens: RefreshTokensDatasource
    passwords: Passwords
    throttle: PasswordThrottle

    async def change_password(
        self, user: Document, current: str, new: str, keep_session: str | None
    ) -> Document:
        """Also ends every session but `keep_session`: a thief's refresh token stops working.
        Wrong current passwords count towards the login throttle, and are refused with it."""
        if await self.throttle.start_attempt(user["email"]) is None:
            raise DomainError(
                ErrorCode.TOO_MANY_ATTEMPTS,
                "Too many wrong passwords for this account; try again later.",
                "currentPassword",
            )
        verified = await self.passwords.verify(user["passwordHash"], current)
        if not verified.valid:
            raise DomainError(
                ErrorCode.INVALID_CREDENTIALS, "The current password is wrong.", "currentPassword"
            )
        await self.throttle.succeeded(user["email"])
        reject_any(password_problems(new, user["email"], "newPassword"))
        new_hash = await self.passwords.hash(new)
        updated = await self.users.set_password_hash(user["_id"], new_hash)
        await self.refresh_tokens.revoke_user_families(user["_id"], except_family=keep_session)
        return updated or user

    async def end_all_sessions(self, user_id: ObjectId) -> None:
        """Every session of the user ends: their refresh tokens stop working."""
        await self.refresh_tokens.revoke_user_families(user_id, except_family=None)

    async def update_profile(self, user: Document, name: str) -> Document:
        name = name.strip()
        reject_any(name_problems(name, "input.name"))
        return await self.users.update(user["_id"], {"name": name}) or user

    async def create_admin(self, email: str, password: Callable[[], str]) -> str:
        """Promotes an existing user (their password stays) or creates an admin; says which.
        `password` is asked for only when an account is created. Raises InvalidInput."""
        email = normalize_email(email)
        reject_any(email_problems(email, "email"))
        existing = await self.users.by_email(email)
        if existing is not None:
            await self.users.set_role(existing["_id"], ADMIN)
            return f"promoted {email} to admin"
        new_password = password()
        reject_any(password_problems(new_password, email, "password"))
        await self.users.create(email, "Admin", await self.passwords.hash(new_password), ADMIN)
        return f"created admin {email}"

    async def create_demo_accounts(self) -> list[DemoAccount]:
        """The demo admin and customer, with random passwords; accounts that exist are kept."""
        created = []
        for email, role, name in DEMO_ACCOUNTS:
            if await self.users.by_email(email) is not None:
                continue
            password = secrets.token_urlsafe(12)
            try:
                await self.users.create(email, name, await self.passwords.hash(password), role)
            except EmailTaken:
                continue
            created.append(DemoAccount(email, role, password))
        return created
