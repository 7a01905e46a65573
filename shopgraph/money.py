"""Money arithmetic: integer minor units of a currency, converted exactly."""

from decimal import (
    Context,
    Decimal,
    DecimalException,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Subnormal,
    Underflow,
)

# ISO 4217 currencies whose minor unit is not the cent; every other currency has 2 decimals.
_DECIMALS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip

# The largest amount any input may name (a price filter's bound, say), in minor units.
MAX_MINOR_UNITS = 10**15
# The largest order total the store takes, in minor units: ten billion in a two-decimal
# currency. A product may cost at most that too, since a dearer one could never be ordered.
# Money the server computes then stays far below MongoDB's 64-bit integers (2**63 - 1,
# about 9.2 * 10**18): 50 lines of at most 1,000 units at this price come to 5 * 10**16.
# An order is checked against it before it is stored, which also catches prices written
# by other programs, whatever they are.
MAX_ORDER_TOTAL = 10**12
MAX_PRICE = MAX_ORDER_TOTAL
_EXACT = Context(
    prec=64, traps=[Inexact, Rounded, Overflow, Underflow, Subnormal, InvalidOperation]
)


def currency_decimals(currency: str) -> int:
    return _DECIMALS.get(currency, 2)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Exact conversion; raises ValueError for negative, oversized or over-precise amounts.

    Comparisons are exact whatever the exponent; the scaling traps any rounding, so
    "10.000000000000000000000000000001" is refused rather than read as 10.00.
    """
    decimals = currency_decimals(currency)
    if not amount.is_finite():
        raise ValueError("is not a finite amount")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount > Decimal(MAX_MINOR_UNITS).scaleb(-decimals):
        raise ValueError("is too large")
    try:
        scaled = amount.scaleb(decimals, context=_EXACT)
    except DecimalException:
        scaled = None
    if scaled is None or scaled != scaled.to_integral_value():
        raise ValueError(f"has more than {decimals} decimals, the most {currency} allows")
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> Decimal:
    """scaleb keeps the coefficient, so 1250 cents reads "12.50" and 0 reads "0.00"."""
    return Decimal(minor).scaleb(-currency_decimals(currency))


def format_amount(minor: int, currency: str) -> str:
    """e.g. 1250 USD -> \"12.50 USD\"."""
    return f"{from_minor_units(minor, currency)} {currency}"
