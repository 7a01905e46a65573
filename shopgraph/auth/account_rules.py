"""What a valid email, password and name are."""

import re

from shopgraph.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from shopgraph.errors import Problem

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 100
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_problems(email: str, field: str) -> list[Problem]:
    """`email` already normalized."""
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        return [Problem(field, "Enter a valid email address.")]
    return []


def password_problems(password: str, email: str, field: str) -> list[Problem]:
    """Length is counted in characters and nothing is truncated: all of it is hashed."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        message = (
            f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long."
        )
        return [Problem(field, message)]
    if normalize_email(password) == email:
        return [Problem(field, "The password must not be your email.")]
    return []


def name_problems(name: str, field: str) -> list[Problem]:
    """`name` already stripped."""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        return [Problem(field, f"The name must be 1 to {MAX_NAME_LENGTH} characters long.")]
    return []
