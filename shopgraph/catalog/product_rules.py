"""What a valid product is: each input field's check, and its document value."""

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from shopgraph.documents import Document
from shopgraph.errors import Problem, reject_any
from shopgraph.money import MAX_PRICE, format_amount, to_minor_units

MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_CATEGORY = 100
MAX_TAGS = 20
MAX_TAG = 50
MAX_STOCK = 1_000_000_000
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_sku(value: str, currency: str = "") -> str:
    sku = value.strip()
    if not _SKU.match(sku):
        raise ValueError("The SKU must be 1 to 64 letters, digits, '.', '_' or '-'.")
    return sku


def _name(value: str, currency: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise ValueError(f"The name must be 1 to {MAX_NAME} characters long.")
    return name


def _description(value: str, currency: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise ValueError(f"The description may be at most {MAX_DESCRIPTION} characters long.")
    return value


def check_amount(value: Decimal, currency: str, what: str) -> int:
    """An amount in minor units, at most `MAX_PRICE`, so no order of it can make a total
    the store cannot store; `what` names it in the refusal ("The price has ...")."""
    try:
        amount = to_minor_units(value, currency)
    except ValueError as error:
        raise ValueError(f"The {what} {error}.") from error
    if amount > MAX_PRICE:
        raise ValueError(f"The {what} may be at most {format_amount(MAX_PRICE, currency)}.")
    return amount


def check_price(value: Decimal, currency: str) -> int:
    return check_amount(value, currency, "price")


def check_stock(value: int, currency: str = "") -> int:
    if not 0 <= value <= MAX_STOCK:
        raise ValueError(f"The stock must be between 0 and {MAX_STOCK}.")
    return value


def _category(value: str | None, currency: str) -> str | None:
    category = (value or "").strip()
    if len(category) > MAX_CATEGORY:
        raise ValueError(f"The category may be at most {MAX_CATEGORY} characters long.")
    return category or None


def _tags(value: list[str], currency: str) -> list[str]:
    tags = list(dict.fromkeys(tag.strip() for tag in value))
    if len(tags) > MAX_TAGS:
        raise ValueError(f"A product may have at most {MAX_TAGS} tags.")
    if any(not 1 <= len(tag) <= MAX_TAG for tag in tags):
        raise ValueError(f"Each tag must be 1 to {MAX_TAG} characters long.")
    return tags


def _active(value: bool, currency: str) -> bool:
    return value


# GraphQL input field -> (document field, check that returns the stored value)
FIELDS: dict[str, tuple[str, Callable[[Any, str], object]]] = {
    "sku": ("sku", check_sku),
    "name": ("name", _name),
    "description": ("description", _description),
    "price": ("price", check_price),
    "stock": ("stock", check_stock),
    "category": ("category", _category),
    "tags": ("tags", _tags),
    "active": ("active", _active),
}
NULLABLE = {"category"}


def product_changes(given: Mapping[str, object], currency: str) -> Document:
    """The document fields for the given input fields; raises InvalidInput with every
    problem found."""
    changes: Document = {}
    problems: list[Problem] = []
    for name, value in given.items():
        field, check = FIELDS[name]
        if value is None and name not in NULLABLE:
            problems.append(Problem(f"input.{name}", f"`{name}` cannot be null."))
            continue
        try:
            changes[field] = check(value, currency)
        except ValueError as error:
            problems.append(Problem(f"input.{name}", str(error)))
    reject_any(problems)
    return changes
