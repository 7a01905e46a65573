"""Scalar overrides: Decimal parses strings and numbers exactly and refuses NaN/Infinity."""

import re
from decimal import Decimal, InvalidOperation

import strawberry

DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)


def parse_decimal(value: object) -> Decimal:
    """Numbers go through their text form so 0.1 stays 0.1, not a binary float's digits."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("Decimal must be a string or a number")
    text = str(value).strip()
    try:
        parsed = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"{value!r} is not a decimal number") from error
    if not parsed.is_finite():
        raise ValueError("Decimal must be finite")
    if not DECIMAL_TEXT.fullmatch(text):  # Decimal() also takes "1_000" and full-width digits
        raise ValueError(f"{value!r} is not a decimal number")
    return parsed


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='A decimal number sent as a string, e.g. "12.50"; numbers are accepted as input.',
    serialize=str,
    parse_value=parse_decimal,
)

SCALAR_OVERRIDES = {Decimal: DecimalScalar}
