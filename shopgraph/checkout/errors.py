"""What can go wrong in the buy flow, as values the API turns into userErrors."""


class CheckoutError(Exception):
    """`code` is a UserErrorCode name; `field` a dotted input path, or None."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def invalid_transition(status: str, action: str) -> CheckoutError:
    return CheckoutError("INVALID_TRANSITION", f"A {status} order cannot be {action}.")
