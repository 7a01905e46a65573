"""Tax rate types: the rate and the admins' payloads."""

from decimal import Decimal

import strawberry

from shopgraph.checkout import tax_rates
from shopgraph.schema.user_errors import UserError


@strawberry.type(
    description="The tax on goods and shipping sent to a country, or to one region of it; a "
    "region's rate takes the place of its country's."
)
class TaxRate:
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code.")
    region: str | None = strawberry.field(
        description="In capitals, as regions are matched without regard to case; null: the "
        "whole country."
    )
    rate: Decimal = strawberry.field(
        description='In percent, at most 4 decimals: "8.25" is 8.25 %.'
    )

    @classmethod
    def from_value(cls, value: tax_rates.TaxRate) -> "TaxRate":
        return cls(country=value.country, region=value.region, rate=value.rate)


@strawberry.type
class TaxRatePayload:
    tax_rate: TaxRate | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteTaxRatePayload:
    deleted_id: str | None = strawberry.field(
        default=None,
        description='The rate\'s readable id: "US" for a country, "US:CA" for a region.',
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)
