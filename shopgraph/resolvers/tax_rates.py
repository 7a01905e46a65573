"""Tax rates: the admins' listing and mutations. Permission (admins only) is checked by
the Query and Mutation fields."""

from decimal import Decimal

from shopgraph.resolvers.context import Info
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.tax_rates import DeleteTaxRatePayload, TaxRate, TaxRatePayload


async def tax_rates(info: Info) -> list[TaxRate]:
    """By country, each country's own rate before its regions'."""
    rates = await info.context.services.tax_rates.all()
    return [TaxRate.from_value(rate) for rate in rates]


@refusals_as_user_errors
async def set_tax_rate(
    info: Info, country: str, region: str | None = None, *, rate: Decimal
) -> TaxRatePayload:
    """Creates or replaces the rate of the country, or of one region of it."""
    value = await info.context.services.tax_rates.set(country, region, rate)
    return TaxRatePayload(tax_rate=TaxRate.from_value(value))


@refusals_as_user_errors
async def delete_tax_rate(
    info: Info, country: str, region: str | None = None
) -> DeleteTaxRatePayload:
    """A region's deletion leaves its country's rate, which then applies there."""
    key = await info.context.services.tax_rates.delete(country, region)
    return DeleteTaxRatePayload(deleted_id=key)
