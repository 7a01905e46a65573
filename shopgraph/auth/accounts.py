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
from shopgraph.auth.session_ends import SessionEnds
from shopgraph.auth.throttle import PasswordThrottle
from shopgraph.datasources.refresh_tokens import RefreshTokensDatasource
from shopgraph.datasources.users import EmailTaken, UsersDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, reject_any

LOCKED_OUT = "Too many wrong passwords for this account; try again later."

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
        self, user: Document, current: str, new: str, keep_session: str | None, client: str
    ) -> Document:
        """Also ends every session but `keep_session`: a thief's refresh token stops working.
        Wrong current passwords count towards the login throttle for `client` (the caller's
        address), and are refused with it."""
        async with self.throttle.attempt(
            user["email"], client, locked_out=LOCKED_OUT, field="currentPassword"
        ):
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
        await self.end_all_sessions(user["_id"], except_session=keep_session)
        return updated or user

    async def end_all_sessions(self, user_id: ObjectId, except_session: str | None = None) -> None:
        """Ends the user's sessions but `except_session`: their refresh and access tokens
        are refused at once, their WebSockets close within seconds. For password changes
        and resets, and whenever an account changes hands (a promotion)."""
        await SessionEnds(self.users, self.refresh_tokens).end_all(user_id, except_session)

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
