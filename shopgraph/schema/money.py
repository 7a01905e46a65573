"""Money: integer minor units in the database, a decimal string and a currency in the API."""

from decimal import Decimal

import strawberry

from shopgraph.money import currency_decimals


@strawberry.type(description="An amount of money in the store currency.")
class Money:
    amount: Decimal = strawberry.field(description='A decimal string, e.g. "12.50".')
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")

    @classmethod
    def from_minor_units(cls, minor: int, currency: str) -> "Money":
        # scaleb keeps the coefficient, so 1250 cents reads "12.50" and 0 reads "0.00".
        return cls(amount=Decimal(minor).scaleb(-currency_decimals(currency)), currency=currency)
