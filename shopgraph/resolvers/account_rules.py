"""What a valid email, password and name are."""

import re

from shopgraph.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from shopgraph.schema.user_errors import UserError, UserErrorCode, user_error

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 100
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_problems(email: str, field: str) -> list[UserError]:
    """`email` already normalized."""
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        return [user_error(field, "Enter a valid email address.", UserErrorCode.INVALID)]
    return []


def password_problems(password: str, email: str, field: str) -> list[UserError]:
    """Length is counted in characters and nothing is truncated: all of it is hashed."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        message = (
            f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long."
        )
        return [user_error(field, message, UserErrorCode.INVALID)]
    if normalize_email(password) == email:
        return [user_error(field, "The password must not be your email.", UserErrorCode.INVALID)]
    return []


def name_problems(name: str, field: str) -> list[UserError]:
    """`name` already stripped."""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        message = f"The name must be 1 to {MAX_NAME_LENGTH} characters long."
        return [user_error(field, message, UserErrorCode.INVALID)]
    return []
