"""The demo store's checkout terms: shipping methods, tax rates and discount codes, so a
cart on `make run` can be checked out as the README walks through it."""

from decimal import Decimal

from shopgraph.checkout.discount_codes import DiscountCodes
from shopgraph.checkout.discount_uses import DiscountUses
from shopgraph.checkout.pricing import DiscountKind
from shopgraph.checkout.shipping_methods import ShippingMethodFields, ShippingMethods
from shopgraph.checkout.tax_rates import TaxRates
from shopgraph.datasources.client import Datasources

_EUROPE = ["AT", "BE", "CH", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "NL", "NO", "PT", "SE"]
SHIPPING_METHODS = [
    ShippingMethodFields(
        name="Standard",
        description="Tracked post",
        price=Decimal("4.90"),
        countries=["US", "CA", *_EUROPE],
        free_over_subtotal=Decimal("100.00"),
        min_delivery_days=3,
        max_delivery_days=5,
    ),
    ShippingMethodFields(
        name="Express",
        description="Courier, next working day or the one after",
        price=Decimal("14.90"),
        countries=["US", "CA"],
        min_delivery_days=1,
        max_delivery_days=2,
    ),
]
# (country, region, percent)
TAX_RATES = [
    ("US", None, Decimal("8.25")),
    ("US", "OR", Decimal("0")),
    ("CA", None, Decimal("5")),
    ("GB", None, Decimal("20")),
    ("DE", None, Decimal("19")),
    ("FR", None, Decimal("20")),
]
DISCOUNT_CODES = [
    {"code": "TEN", "kind": DiscountKind.PERCENTAGE, "value": Decimal("10")},
    {"code": "FREESHIP", "kind": DiscountKind.FREE_SHIPPING},
    {
        "code": "WELCOME5",
        "kind": DiscountKind.FIXED_AMOUNT,
        "value": Decimal("5.00"),
        "min_subtotal": Decimal("25.00"),
        "usage_per_customer": 1,
    },
]


async def seed_checkout_terms(datasources: Datasources, currency: str) -> bool:
    """Adds the demo terms to a store that has no shipping method yet; True if it did."""
    shipping = ShippingMethods(datasources.shipping_methods, currency)
    if await shipping.all():
        return False
    for method in SHIPPING_METHODS:
        await shipping.create(method)
    rates = TaxRates(datasources.tax_rates)
    for country, region, rate in TAX_RATES:
        await rates.set(country, region, rate)
    codes = DiscountCodes(
        datasources.discount_codes, DiscountUses(datasources.discount_uses), currency
    )
    for code in DISCOUNT_CODES:
        if await codes.find(str(code["code"])) is None:
            await codes.create(code)
    return True
