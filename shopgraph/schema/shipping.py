"""Shipping method types: the method, the admins' input and payloads.

Other types show a method as `ShippingMethod(method=<checkout.shipping_methods.ShippingMethod>)`.
"""

from decimal import Decimal
from typing import Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from shopgraph.checkout import shipping_methods
from shopgraph.schema.money import Money
from shopgraph.schema.user_errors import UserError


@strawberry.type(
    description="A way the store ships, at a price, to the countries it lists. Shoppers see "
    "the active ones in their cart; admins manage them."
)
class ShippingMethod(relay.Node):
    method: strawberry.Private[shipping_methods.ShippingMethod]

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return str(root.method.id)

    @strawberry.field
    def name(self) -> str:
        return self.method.name

    @strawberry.field
    def description(self) -> str:
        return self.method.description

    @strawberry.field(description="What shipping costs below `freeOverSubtotal`.")
    def price(self, info: Info) -> Money:
        return Money.from_minor_units(self.method.price, info.context.settings.currency)

    @strawberry.field(description="ISO 3166-1 alpha-2 codes of the countries it ships to.")
    def countries(self) -> list[str]:
        return list(self.method.countries)

    @strawberry.field(
        description="Shipping is free when the goods come to at least this; null: never free."
    )
    def free_over_subtotal(self, info: Info) -> Money | None:
        amount = self.method.free_over_subtotal
        currency = info.context.settings.currency
        return None if amount is None else Money.from_minor_units(amount, currency)

    @strawberry.field
    def min_delivery_days(self) -> int | None:
        return self.method.min_delivery_days

    @strawberry.field
    def max_delivery_days(self) -> int | None:
        return self.method.max_delivery_days

    @strawberry.field(description="Inactive methods are offered to no cart.")
    def active(self) -> bool:
        return self.method.active


@strawberry.input(
    description="For `createShippingMethod`, `name`, `price` and `countries` are required, "
    "and the others default to an empty description, never free, no delivery days and "
    "active. For `updateShippingMethod` only the fields given change; null clears "
    "`freeOverSubtotal` and the delivery days."
)
class ShippingMethodInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="1 to 100 characters."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 500 characters."
    )
    price: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description='In the store currency, e.g. "4.90".'
    )
    countries: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description='1 to 249 distinct ISO 3166-1 alpha-2 codes, e.g. ["US", "CA"].',
    )
    free_over_subtotal: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Shipping is free when the goods come to at least this.",
    )
    min_delivery_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 365, at most `maxDeliveryDays`."
    )
    max_delivery_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="0 to 365."
    )
    active: bool | None = strawberry.UNSET


@strawberry.type
class ShippingMethodPayload:
    shipping_method: ShippingMethod | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteShippingMethodPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
