"""A postal address, and what makes one valid.

An address is what a form sends: a few lines of free text, trimmed, bounded and free of
control characters, plus an ISO 3166-1 alpha-2 country code. Nothing checks that the
street exists or that the postal code belongs to the city: the carrier does that.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from shopgraph.countries import COUNTRIES, is_country
from shopgraph.documents import Document
from shopgraph.errors import InvalidInput, Problem


@dataclass(frozen=True, slots=True)
class AddressField:
    """One field of an address as the API names it, and its rules."""

    key: str  # the API's and the document's name: "postalCode"
    attribute: str  # the Python name: "postal_code"
    label: str  # for messages: "postal code"
    max_length: int
    required: bool


MAX_NAME_LENGTH = 100
MAX_LINE_LENGTH = 200
MAX_POSTAL_CODE_LENGTH = 20
MAX_PHONE_LENGTH = 30

FIELDS: tuple[AddressField, ...] = (
    AddressField("firstName", "first_name", "first name", MAX_NAME_LENGTH, True),
    AddressField("lastName", "last_name", "last name", MAX_NAME_LENGTH, True),
    AddressField("company", "company", "company", MAX_LINE_LENGTH, False),
    AddressField("line1", "line1", "first address line", MAX_LINE_LENGTH, True),
    AddressField("line2", "line2", "second address line", MAX_LINE_LENGTH, False),
    AddressField("city", "city", "city", MAX_NAME_LENGTH, True),
    AddressField("region", "region", "region", MAX_NAME_LENGTH, False),
    AddressField("postalCode", "postal_code", "postal code", MAX_POSTAL_CODE_LENGTH, True),
    AddressField("country", "country", "country", 2, True),
    AddressField("phone", "phone", "phone number", MAX_PHONE_LENGTH, False),
)

# Control characters (line breaks and tabs included), lone surrogates and the line and
# paragraph separators: none belongs on a label, and some would break one.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_POSTAL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")
_PHONE = re.compile(r"\+?[0-9 ()./-]+")
MIN_PHONE_DIGITS = 4

# Where the postal code comes before the city ("10115 Berlin"); elsewhere after it
# ("Springfield, IL 62701").
_POSTAL_CODE_FIRST = frozenset({
    "AT", "BE", "CH", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IS", "IT", "LI", "LT", "LU", "NL", "NO", "PL", "PT", "SE", "SI", "SK",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Address:
    """A valid address (see `parse_address`); optional parts are None, never ""."""

    first_name: str
    last_name: str
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2, in capitals
    company: str | None = None
    line2: str | None = None
    region: str | None = None
    phone: str | None = None

    def to_document(self) -> Document:
        """The address as stored and as the API names its fields; absent parts left out."""
        document: Document = {}
        for field in FIELDS:
            value = getattr(self, field.attribute)
            if value is not None:
                document[field.key] = value
        return document

    @classmethod
    def from_document(cls, document: Document) -> Self:
        """The inverse of `to_document`, for what this code stored."""
        return cls(**{field.attribute: document.get(field.key) for field in FIELDS})

    def printed(self) -> list[str]:
        """The lines an email or a parcel label shows, the country by its name."""
        if self.country in _POSTAL_CODE_FIRST:
            place = " ".join(part for part in (self.postal_code, self.city) if part)
            locality = [place, self.region]
        else:
            town = f"{self.city}, {self.region}" if self.region else self.city
            locality = [f"{town} {self.postal_code}"]
        lines = [
            f"{self.first_name} {self.last_name}",
            self.company,
            self.line1,
            self.line2,
            *locality,
            COUNTRIES.get(self.country, self.country),
            self.phone,
        ]
        return [line for line in lines if line]


def _field_problem(field: AddressField, value: str) -> str | None:
    """What is wrong with a trimmed, non-empty value, if anything."""
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
        return f"The {field.label} must not contain control characters or line breaks."
    if field.key == "country":
        if not is_country(value):
            return "Give the country as an ISO 3166-1 alpha-2 code, such as US or DE."
        return None
    if len(value) > field.max_length:
        return f"The {field.label} may be at most {field.max_length} characters long."
    if field.key == "postalCode" and not _POSTAL_CODE.fullmatch(value):
        return (
            "The postal code may contain only letters A-Z, digits, spaces and hyphens, "
            "and begins with a letter or digit."
        )
    if field.key == "phone" and (
        not _PHONE.fullmatch(value) or sum(char.isdigit() for char in value) < MIN_PHONE_DIGITS
    ):
        return (
            f"A phone number has at least {MIN_PHONE_DIGITS} digits and, besides them, only "
            "spaces, ( ) - . / and a leading +."
        )
    return None


def parse_address(values: Mapping[str, str | None], field: str) -> Address:
    """An Address from a form's values, keyed as the API names them ("postalCode").

    Values are trimmed; an empty one counts as missing. The country is upper-cased. Raises
    InvalidInput with one problem per bad field, each at `f"{field}.{key}"`, all at once.
    """
    problems: list[Problem] = []
    parsed: dict[str, str | None] = {}
    for spec in FIELDS:
        raw = values.get(spec.key)
        value = raw.strip() if isinstance(raw, str) else None
        if spec.key == "country" and value:
            value = value.upper()
        if not value:
            parsed[spec.attribute] = None
            if spec.required:
                problems.append(Problem(f"{field}.{spec.key}", f"Give the {spec.label}."))
            continue
        problem = _field_problem(spec, value)
        if problem is not None:
            problems.append(Problem(f"{field}.{spec.key}", problem))
        parsed[spec.attribute] = value
    if problems:
        raise InvalidInput(problems)
    return Address(**parsed)  # type: ignore[arg-type]  # the required parts are all there


__all__ = ["FIELDS", "Address", "AddressField", "parse_address"]
