"""What a use case can refuse, as values: every code a client may read in `userErrors`.

The domain raises `DomainError`; the API reports its problems as userErrors (see
`resolvers.user_errors`) and derives its `UserErrorCode` enum from `ErrorCode`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


class ErrorCode(Enum):
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
    TOO_MANY_PENDING_ORDERS = "TOO_MANY_PENDING_ORDERS"
    TOO_MANY_HELD_UNITS = "TOO_MANY_HELD_UNITS"
    AMOUNT_TOO_LARGE = "AMOUNT_TOO_LARGE"
    STOCK_CHANGED = "STOCK_CHANGED"
    DISCOUNT_CODE_INVALID = "DISCOUNT_CODE_INVALID"
    DISCOUNT_CODE_EXHAUSTED = "DISCOUNT_CODE_EXHAUSTED"
    SHIPPING_ADDRESS_REQUIRED = "SHIPPING_ADDRESS_REQUIRED"
    SHIPPING_METHOD_REQUIRED = "SHIPPING_METHOD_REQUIRED"
    EMAIL_REQUIRED = "EMAIL_REQUIRED"
    CART_EMPTY = "CART_EMPTY"
    CART_COMPLETED = "CART_COMPLETED"
    TOO_MANY_ADDRESSES = "TOO_MANY_ADDRESSES"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing the caller can fix; `field` is a dotted input path ("input.email")."""

    field: str | None
    message: str
    code: ErrorCode = ErrorCode.INVALID


class DomainError(Exception):
    """A use case refused, having changed nothing the caller must undo."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.problems: tuple[Problem, ...] = (Problem(field, message, code),)

    @property
    def code(self) -> ErrorCode:
        return self.problems[0].code


class InvalidInput(DomainError):
    """Every problem found in an input at once, so a form can show them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0]
        super().__init__(first.code, first.message, first.field)
        self.problems = tuple(problems)


def reject_any(problems: Sequence[Problem]) -> None:
    """Raises InvalidInput when there is anything to report."""
    if problems:
        raise InvalidInput(problems)
