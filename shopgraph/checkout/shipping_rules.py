"""What a valid shipping method is: each input field's check, and its document value."""

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from shopgraph.catalog.product_rules import check_amount, check_price
from shopgraph.countries import is_country
from shopgraph.documents import Document
from shopgraph.errors import Problem

MAX_NAME = 100
MAX_DESCRIPTION = 500
MAX_COUNTRIES = 249  # every assigned ISO 3166-1 code
MAX_DELIVERY_DAYS = 365
_SHOWN_BAD_COUNTRIES = 5


class Omitted(Enum):
    OMITTED = "omitted"


OMITTED = Omitted.OMITTED


@dataclass(frozen=True, slots=True)
class ShippingMethodFields:
    """An admin's input as sent. A field left OMITTED keeps its value (update) or takes its
    default (create); None is null, which clears `free_over_subtotal` and the delivery days
    and is refused for the other fields. Amounts are in the store currency."""

    name: str | Omitted | None = OMITTED
    description: str | Omitted | None = OMITTED
    price: Decimal | Omitted | None = OMITTED
    countries: Sequence[str] | Omitted | None = OMITTED
    free_over_subtotal: Decimal | Omitted | None = OMITTED
    min_delivery_days: int | Omitted | None = OMITTED
    max_delivery_days: int | Omitted | None = OMITTED
    active: bool | Omitted | None = OMITTED

    def given(self) -> dict[str, object]:
        """The fields that were sent, by their Python names."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) is not OMITTED
        }


def _name(value: str, currency: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ValueError(f"The name must be 1 to {MAX_NAME} characters long.")
    return name


def _description(value: str, currency: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise ValueError(f"The description may be at most {MAX_DESCRIPTION} characters long.")
    return value


def _free_over_subtotal(value: Decimal, currency: str) -> int:
    return check_amount(value, currency, "free-shipping subtotal")


def normalised_country(value: str) -> str:
    """ISO writes alpha-2 codes in capitals; "us " means "US"."""
    return value.strip().upper()


def _countries(value: Sequence[str], currency: str) -> list[str]:
    if not 1 <= len(value) <= MAX_COUNTRIES:
        raise ValueError(f"List 1 to {MAX_COUNTRIES} countries.")
    codes = [normalised_country(code) for code in value]
    unknown = [code for code in codes if not is_country(code)]
    if unknown:
        shown = ", ".join(repr(code[:10]) for code in unknown[:_SHOWN_BAD_COUNTRIES])
        more = len(unknown) - _SHOWN_BAD_COUNTRIES
        rest = f" and {more} more" if more > 0 else ""
        raise ValueError(f"Not ISO 3166-1 alpha-2 country codes: {shown}{rest}.")
    repeated = sorted(code for code, times in Counter(codes).items() if times > 1)
    if repeated:
        raise ValueError(f"Each country once: {', '.join(repeated)} listed more than once.")
    return codes


def _days(value: int, currency: str) -> int:
    if not 0 <= value <= MAX_DELIVERY_DAYS:
        raise ValueError(f"Delivery days must be between 0 and {MAX_DELIVERY_DAYS}.")
    return value


def _active(value: bool, currency: str) -> bool:
    return value


@dataclass(frozen=True, slots=True)
class FieldRule:
    input_name: str  # as the API spells it, for userErrors' `field`
    document_name: str
    check: Callable[[Any, str], object]
    nullable: bool = False


RULES: Mapping[str, FieldRule] = {
    "name": FieldRule("name", "name", _name),
    "description": FieldRule("description", "description", _description),
    "price": FieldRule("price", "price", check_price),
    "countries": FieldRule("countries", "countries", _countries),
    "free_over_subtotal": FieldRule(
        "freeOverSubtotal", "freeOverSubtotal", _free_over_subtotal, nullable=True
    ),
    "min_delivery_days": FieldRule("minDeliveryDays", "minDeliveryDays", _days, nullable=True),
    "max_delivery_days": FieldRule("maxDeliveryDays", "maxDeliveryDays", _days, nullable=True),
    "active": FieldRule("active", "active", _active),
}
REQUIRED = ("name", "price", "countries")
DEFAULTS: Document = {
    "description": "",
    "freeOverSubtotal": None,
    "minDeliveryDays": None,
    "maxDeliveryDays": None,
    "active": True,
}
DELIVERY_DAYS = ("minDeliveryDays", "maxDeliveryDays")


def checked_changes(fields: ShippingMethodFields, currency: str) -> tuple[Document, list[Problem]]:
    """The document values of the given fields, and every problem found in them."""
    changes: Document = {}
    problems: list[Problem] = []
    for name, value in fields.given().items():
        rule = RULES[name]
        field = f"input.{rule.input_name}"
        if value is None:
            if rule.nullable:
                changes[rule.document_name] = None
            else:
                problems.append(Problem(field, f"`{rule.input_name}` cannot be null."))
            continue
        try:
            changes[rule.document_name] = rule.check(value, currency)
        except ValueError as error:
            problems.append(Problem(field, str(error)))
    return changes, problems


def missing_problems(fields: ShippingMethodFields) -> list[Problem]:
    """What a new method must have."""
    given = fields.given()
    return [
        Problem(f"input.{RULES[name].input_name}", f"Give the method's {name}.")
        for name in REQUIRED
        if name not in given
    ]


def delivery_days_problems(method: Mapping[str, object], changes: Document) -> list[Problem]:
    """`method`: the delivery days the method will have; the problem names a field given."""
    low, high = (method.get(name) for name in DELIVERY_DAYS)
    if not isinstance(low, int) or not isinstance(high, int) or low <= high:
        return []
    field = "minDeliveryDays" if "minDeliveryDays" in changes else "maxDeliveryDays"
    message = f"minDeliveryDays ({low}) may not be more than maxDeliveryDays ({high})."
    return [Problem(f"input.{field}", message)]
