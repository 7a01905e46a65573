"""Tax rates: admins set one per country, and optionally per region of a country; a cart
is taxed at its shipping address's region's rate, else its country's.

A rate is a percentage of the price with at most 4 decimals: `Decimal("8.25")` is 8.25 %.
Regions are matched case-insensitively and with runs of spaces as one: they are stored in
capitals ("ca" and "CA" are one region).
"""

from dataclasses import dataclass
from decimal import Decimal

from shopgraph.checkout.shipping_rules import normalised_country
from shopgraph.countries import is_country
from shopgraph.datasources.tax_rates import TaxRatesDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem, reject_any

# Every rate is listed at once to admins, so there is a bound.
MAX_TAX_RATES = 1_000
MAX_REGION = 50
MAX_RATE = Decimal(100)
RATE_DECIMALS = 4
_RATE_STEP = Decimal(1).scaleb(-RATE_DECIMALS)
_PPM_PER_PERCENT = 10**RATE_DECIMALS  # parts per million in one percent


@dataclass(frozen=True, slots=True)
class TaxRate:
    country: str
    region: str | None
    rate: Decimal  # in percent: Decimal("8.25") means 8.25 %


def rate_key(country: str, region: str | None) -> str:
    """The readable id of a rate: "US" for a country, "US:CA" for a region of it."""
    return country if region is None else f"{country}:{region}"


def normalised_region(region: str) -> str:
    return " ".join(region.split()).upper()


def _parts_per_million(rate: Decimal) -> int:
    """Exact: a rate with more decimals is refused, never rounded."""
    if not rate.is_finite() or not 0 <= rate <= MAX_RATE:
        raise ValueError("The rate must be between 0 and 100 (percent).")
    step = rate.quantize(_RATE_STEP)  # at most 7 digits, as 0 <= rate <= 100
    if step != rate:
        raise ValueError(
            f"The rate may have at most {RATE_DECIMALS} decimals (in percent: 8.25 is 8.25 %)."
        )
    return int(step.scaleb(RATE_DECIMALS))


def _percent(parts_per_million: int) -> Decimal:
    """8.25 rather than 8.2500, and 10 rather than 1E+1."""
    value = Decimal(parts_per_million) / _PPM_PER_PERCENT
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _tax_rate(document: Document) -> TaxRate:
    return TaxRate(document["country"], document.get("region"), _percent(document["ratePpm"]))


def _place(country: str, region: str | None) -> tuple[str, str | None, list[Problem]]:
    """The normalised country and region, and what is wrong with them."""
    problems = []
    code = normalised_country(country)
    if not is_country(code):
        message = f"{country[:10]!r} is not an ISO 3166-1 alpha-2 country code."
        problems.append(Problem("country", message))
    place = None if region is None else normalised_region(region)
    if place is not None and not (1 <= len(place) <= MAX_REGION and place.isprintable()):
        message = (
            f"The region must be 1 to {MAX_REGION} printable characters; leave it out (null) "
            "for the whole country."
        )
        problems.append(Problem("region", message))
    return code, place, problems


@dataclass(frozen=True, slots=True)
class TaxRates:
    rates: TaxRatesDatasource

    async def set(self, country: str, region: str | None, rate: Decimal) -> TaxRate:
        """Creates or replaces the rate of (country, region); racing calls for one place
        leave one rate, the last one's. Raises InvalidInput, or INVALID when the store has
        `MAX_TAX_RATES` already and this one is new (stored, counted, and taken back when
        it is one too many, so more than the limit are never kept)."""
        code, place, problems = _place(country, region)
        try:
            parts_per_million = _parts_per_million(rate)
        except ValueError as error:
            problems.append(Problem("rate", str(error)))
        reject_any(problems)
        key = rate_key(code, place)
        fields = {"country": code, "region": place}
        created = await self.rates.put(key, fields, parts_per_million)
        if created is not None and await self.rates.count_all() > MAX_TAX_RATES:
            await self.rates.take_back(key, created)
            message = (
                f"A store has at most {MAX_TAX_RATES} tax rates: change or delete one instead."
            )
            raise DomainError(ErrorCode.INVALID, message)
        return TaxRate(code, place, _percent(parts_per_million))

    async def delete(self, country: str, region: str | None) -> str:
        """Returns the deleted rate's key ("US", "US:CA"). Raises InvalidInput, or
        NOT_FOUND when there is no such rate (a region's deletion leaves its country's)."""
        code, place, problems = _place(country, region)
        reject_any(problems)
        key = rate_key(code, place)
        if not await self.rates.delete(key):
            field = "country" if place is None else "region"
            raise DomainError(ErrorCode.NOT_FOUND, f"There is no tax rate for {key}.", field)
        return key

    async def all(self) -> list[TaxRate]:
        """By country, each country's own rate before its regions'."""
        return [_tax_rate(document) for document in await self.rates.first(MAX_TAX_RATES)]

    async def rate_for(self, country: str, region: str | None) -> Decimal | None:
        """The region's rate if it has one, else the country's, else None (no tax)."""
        code, place, problems = _place(country, region)
        if any(problem.field == "country" for problem in problems):
            return None
        keys = [code]
        if place and not problems:
            keys.insert(0, rate_key(code, place))
        found = await self.rates.by_keys(keys)
        document = next((found[key] for key in keys if key in found), None)
        return None if document is None else _tax_rate(document).rate
