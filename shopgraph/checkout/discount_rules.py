"""What a discount code may be: the checks of an admin's input, and its stored form.

Input comes as the fields that were sent, by their Python names (`code`, `kind`, `value`,
`min_subtotal`, `starts_at`, `ends_at`, `usage_limit`, `usage_per_customer`, `active`);
a None clears an optional field. Every problem is reported at once, at its input path.
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from shopgraph.checkout.pricing import DiscountKind
from shopgraph.documents import Document
from shopgraph.errors import Problem, reject_any
from shopgraph.money import MAX_ORDER_TOTAL, to_minor_units

CODE = re.compile(r"[A-Za-z0-9_-]{1,50}", re.ASCII)
MAX_CODE_LENGTH = 50
# A code used more often than this is better left unlimited; the limit bounds what a take
# reads when it must look for a free slot.
MAX_USAGE_LIMIT = 100_000
MAX_USES_PER_CUSTOMER = 1_000

# Input names and where they are stored.
STORED_AS = {
    "min_subtotal": "minSubtotal",
    "starts_at": "startsAt",
    "ends_at": "endsAt",
    "usage_limit": "usageLimit",
    "usage_per_customer": "usagePerCustomer",
}
LIMITS = {"usage_limit": MAX_USAGE_LIMIT, "usage_per_customer": MAX_USES_PER_CUSTOMER}
INPUT_NAMES = {
    "code": "code",
    "kind": "kind",
    "value": "value",
    "active": "active",
    "min_subtotal": "minSubtotal",
    "starts_at": "startsAt",
    "ends_at": "endsAt",
    "usage_limit": "usageLimit",
    "usage_per_customer": "usagePerCustomer",
}


def code_key(code: str) -> str | None:
    """The key a code is found by: trimmed and upper-case; None when no code could be it."""
    code = code.strip()
    return code.upper() if CODE.fullmatch(code) else None


def _at(name: str) -> str:
    return f"input.{INPUT_NAMES[name]}"


def stored_value(kind: DiscountKind, value: Decimal | None, currency: str) -> int | Problem:
    """Hundredths of a percent, minor units, or 0 for free shipping (see
    `datasources.discount_codes`)."""
    if kind is DiscountKind.FREE_SHIPPING:
        if value is None or value == 0:
            return 0
        return Problem(_at("value"), "A free-shipping code takes no value: leave it out or send 0.")
    if value is None:
        return Problem(_at("value"), f"Give the value of a {kind.value} code.")
    if kind is DiscountKind.PERCENTAGE:
        if not 0 < value <= 100:
            return Problem(_at("value"), "A percentage must be above 0 and at most 100.")
        numerator, denominator = value.as_integer_ratio()
        if numerator * 100 % denominator:
            return Problem(_at("value"), "A percentage may have at most 2 decimals.")
        return numerator * 100 // denominator
    try:
        amount = to_minor_units(value, currency)
    except ValueError as error:
        return Problem(_at("value"), f"The amount {error}.")
    if not 0 < amount <= MAX_ORDER_TOTAL:
        return Problem(
            _at("value"), "The amount must be above 0 and at most what an order may cost."
        )
    return amount


def _utc(moment: datetime) -> datetime:
    """A time without a zone is taken as UTC; kept to the millisecond, as MongoDB keeps it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _own_field(name: str, given: object, currency: str) -> object | Problem:
    """One optional field's stored form (None clears it)."""
    if given is None:
        return None
    if name == "min_subtotal":
        try:
            amount = to_minor_units(given, currency)  # type: ignore[arg-type]
        except ValueError as error:
            return Problem(_at(name), f"The minimum subtotal {error}.")
        if amount > MAX_ORDER_TOTAL:
            return Problem(_at(name), "The minimum subtotal is more than any order may cost.")
        return amount
    if name in ("starts_at", "ends_at"):
        return _utc(given)  # type: ignore[arg-type]
    most = LIMITS[name]
    if not 1 <= given <= most:  # type: ignore[operator]
        return Problem(_at(name), f"Give a whole number from 1 to {most}, or null for no limit.")
    return given


def changes(
    given: Mapping[str, object], current: Document | None, currency: str
) -> tuple[Document, set[str]]:
    """The stored fields to set and to remove for `given` (a new code when `current` is
    None). Raises InvalidInput with every problem found."""
    problems: list[Problem] = []
    set_: Document = {}
    removed: set[str] = set()
    for name in ("code", "kind", "active"):
        if name in given and given[name] is None:
            problems.append(Problem(_at(name), f"`{INPUT_NAMES[name]}` cannot be null."))
        elif current is None and name in ("code", "kind") and name not in given:
            problems.append(Problem(_at(name), f"Give the code's {name}."))
    if isinstance(given.get("code"), str):
        key = code_key(given["code"])  # type: ignore[arg-type]
        if key is None:
            message = f"Use 1 to {MAX_CODE_LENGTH} letters, digits, - and _."
            problems.append(Problem(_at("code"), message))
        else:
            set_["code"], set_["codeKey"] = given["code"].strip(), key  # type: ignore[union-attr]
    if given.get("active") is not None:
        set_["active"] = given["active"]
    elif current is None:
        set_["active"] = True
    kind = given.get("kind") or (current and DiscountKind(current["kind"]))
    if isinstance(kind, DiscountKind) and ("kind" in given or "value" in given):
        changed_kind = current is not None and current["kind"] != kind.value
        if "value" not in given and changed_kind and kind is not DiscountKind.FREE_SHIPPING:
            problems.append(Problem(_at("value"), f"Give the value of a {kind.value} code."))
        else:
            value = stored_value(kind, given.get("value"), currency)  # type: ignore[arg-type]
            if isinstance(value, Problem):
                problems.append(value)
            else:
                set_["kind"], set_["value"] = kind.value, value
    for name, field in STORED_AS.items():
        if name not in given:
            continue
        stored = _own_field(name, given[name], currency)
        if isinstance(stored, Problem):
            problems.append(stored)
        elif stored is None:
            removed.add(field)
        else:
            set_[field] = stored
    problems += _date_problems(set_, removed, current)
    reject_any(problems)
    return set_, removed


def _date_problems(set_: Document, removed: set[str], current: Document | None) -> list[Problem]:
    def merged(field: str) -> datetime | None:
        if field in set_:
            return set_[field]
        if field in removed or current is None:
            return None
        return current.get(field)

    starts, ends = merged("startsAt"), merged("endsAt")
    if starts is not None and ends is not None and starts >= ends:
        return [Problem(_at("ends_at"), "The code must end after it starts.")]
    return []
