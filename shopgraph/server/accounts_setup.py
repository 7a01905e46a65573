"""Accounts made from the command line: admins, and the development demo accounts."""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from shopgraph.auth.passwords import Passwords
from shopgraph.auth.viewer import ADMIN, CUSTOMER
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.users import EmailTaken
from shopgraph.resolvers.account_rules import email_problems, normalize_email, password_problems


class AccountSetupError(Exception):
    """The message says what to fix."""


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    role: str
    password: str


DEMO_ACCOUNTS = [
    ("admin@example.com", ADMIN, "Demo Admin"),
    ("customer@example.com", CUSTOMER, "Demo Customer"),
]


async def create_admin(
    datasources: Datasources, passwords: Passwords, email: str, password: Callable[[], str]
) -> str:
    """Promotes an existing user (their password stays) or creates an admin; says which.
    `password` is asked for only when an account is created."""
    email = normalize_email(email)
    if problems := email_problems(email, "email"):
        raise AccountSetupError(f"{email!r}: {problems[0].message}")
    existing = await datasources.users.by_email(email)
    if existing is not None:
        await datasources.users.update(existing["_id"], {"role": ADMIN})
        return f"promoted {email} to admin"
    new_password = password()
    if problems := password_problems(new_password, email, "password"):
        raise AccountSetupError(problems[0].message)
    await datasources.users.create(email, "Admin", await passwords.hash(new_password), ADMIN)
    return f"created admin {email}"


async def create_demo_accounts(datasources: Datasources, passwords: Passwords) -> list[DemoAccount]:
    """The demo admin and customer, with random passwords; accounts that exist are kept."""
    created = []
    for email, role, name in DEMO_ACCOUNTS:
        if await datasources.users.by_email(email) is not None:
            continue
        password = secrets.token_urlsafe(12)
        try:
            await datasources.users.create(email, name, await passwords.hash(password), role)
        except EmailTaken:
            continue
        created.append(DemoAccount(email, role, password))
    return created
