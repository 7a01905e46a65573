"""UserError: what was wrong with a mutation's input, as data the client can act on."""

from enum import Enum

import strawberry


@strawberry.enum
class UserErrorCode(Enum):
    INVALID = "INVALID"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    NOT_FOUND = "NOT_FOUND"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    INVALID_TOKEN = "INVALID_TOKEN"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    INVALID_TRANSITION = "INVALID_TRANSITION"


@strawberry.type
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "email"].'
    )
    message: str
    code: UserErrorCode


def user_error(field: str | None, message: str, code: UserErrorCode) -> UserError:
    """`field` is a dotted path like "input.email"."""
    return UserError(field=field.split(".") if field else None, message=message, code=code)
