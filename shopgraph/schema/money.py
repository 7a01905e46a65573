"""Money: integer minor units in the database, a decimal string and a currency in the API."""

from decimal import Decimal

import strawberry

from shopgraph import money


@strawberry.type(description="An amount of money in the store currency.")
class Money:
    amount: Decimal = strawberry.field(description='A decimal string, e.g. "12.50".')
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")

    @classmethod
    def from_minor_units(cls, minor: int, currency: str) -> "Money":
        return cls(amount=money.from_minor_units(minor, currency), currency=currency)
