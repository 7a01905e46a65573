"""Scalar overrides: Decimal parses strings and numbers exactly and refuses NaN/Infinity;
Upload takes files only."""

import re
from decimal import Decimal, InvalidOperation

import strawberry
from strawberry.file_uploads import Upload

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


def parse_upload(value: object) -> object:
    """A file is a part of a multipart request; a string in JSON variables is none."""
    if not callable(getattr(value, "read", None)):
        raise ValueError(
            "Upload takes a file sent as a part of a multipart request (the GraphQL "
            "multipart request specification), not a value in the JSON variables"
        )
    return value


UploadScalar = strawberry.scalar(
    name="Upload",
    description="A file, sent as a part of a multipart request (the GraphQL multipart "
    "request specification).",
    serialize=lambda _: None,
    parse_value=parse_upload,
)

SCALAR_OVERRIDES = {Decimal: DecimalScalar, Upload: UploadScalar}
