"""Discount code types, and the inputs and payloads of the admin mutations."""

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

import strawberry
from strawberry.types import Info

from shopgraph.checkout import discount_codes, pricing
from shopgraph.schema.connections import CountedConnection
from shopgraph.schema.money import Money
from shopgraph.schema.nodes import DocumentNode
from shopgraph.schema.user_errors import UserError

DiscountKind = strawberry.enum(
    pricing.DiscountKind,
    description="PERCENTAGE: a percent of the goods; FIXED_AMOUNT: an amount off the goods "
    "(at most their price); FREE_SHIPPING: the shipping charge.",
)

# Every field of a code reads it whole (see `checkout.discount_codes.discount_code_of`).
_STORED = (
    "code",
    "kind",
    "value",
    "minSubtotal",
    "startsAt",
    "endsAt",
    "usageLimit",
    "usagePerCustomer",
    "active",
)


@strawberry.type(description="A code shoppers enter for a discount. Admins only.")
class DiscountCode(DocumentNode):
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "__typename": (),
        "id": (),
        "timesUsed": (),
        "createdAt": ("createdAt",),
        "updatedAt": ("updatedAt",),
        **{field: _STORED for field in _STORED},
        "minSubtotal": _STORED,
    }

    def _code(self, info: Info) -> discount_codes.DiscountCode:
        return discount_codes.discount_code_of(self.document, info.context.settings.currency)

    @strawberry.field(description="As the admin typed it; shoppers may type it in any case.")
    def code(self, info: Info) -> str:
        return self._code(info).code

    @strawberry.field
    def kind(self, info: Info) -> DiscountKind:
        return self._code(info).kind

    @strawberry.field(
        description='PERCENTAGE: the percent ("10.00" is 10 %); FIXED_AMOUNT: the amount in '
        'the store currency ("5.00"); FREE_SHIPPING: "0".'
    )
    def value(self, info: Info) -> Decimal:
        return self._code(info).value

    @strawberry.field(description="The goods must cost at least this, before any discount.")
    def min_subtotal(self, info: Info) -> Money | None:
        amount = self._code(info).min_subtotal
        currency = info.context.settings.currency
        return None if amount is None else Money.from_minor_units(amount, currency)

    @strawberry.field(description="Usable from then on; null: from its creation.")
    def starts_at(self, info: Info) -> datetime | None:
        return self._code(info).starts_at

    @strawberry.field(description="Usable until just before then; null: for ever.")
    def ends_at(self, info: Info) -> datetime | None:
        return self._code(info).ends_at

    @strawberry.field(description="How many orders may use it in all; null: no limit.")
    def usage_limit(self, info: Info) -> int | None:
        return self._code(info).usage_limit

    @strawberry.field(description="How many orders one customer may use it for; null: no limit.")
    def usage_per_customer(self, info: Info) -> int | None:
        return self._code(info).usage_per_customer

    @strawberry.field(description="Orders that used it and were not cancelled.")
    async def times_used(self, info: Info) -> int:
        return await info.context.loaders.discount_code_uses.load(self.document["_id"])

    @strawberry.field
    def active(self, info: Info) -> bool:
        return self._code(info).active

    @strawberry.field
    def created_at(self) -> datetime:
        return self.document["createdAt"]

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.document["updatedAt"]


@strawberry.type(description="A page of discount codes.")
class DiscountCodeConnection(CountedConnection[DiscountCode]):
    NODE = DiscountCode


@strawberry.input(
    description="Creating, `code` and `kind` are required, and `value` unless the kind is "
    "FREE_SHIPPING. Updating, only the fields given change; null clears `minSubtotal`, the "
    "dates and the limits."
)
class DiscountCodeInput:
    code: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="1 to 50 letters, digits, - and _; unique whatever the case.",
    )
    kind: DiscountKind | None = strawberry.UNSET
    value: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="PERCENTAGE: above 0, at most 100, 2 decimals at most; FIXED_AMOUNT: above "
        "0, in the store currency; FREE_SHIPPING: leave it out (or 0).",
    )
    min_subtotal: Decimal | None = strawberry.UNSET
    starts_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Without a time zone: UTC."
    )
    ends_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="After `startsAt`; without a time zone: UTC."
    )
    usage_limit: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="1 to 100000; not below `timesUsed`.",
    )
    usage_per_customer: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="1 to 1000; not below any customer's uses.",
    )
    active: bool | None = strawberry.field(default=strawberry.UNSET, description="Default true.")


@strawberry.type
class DiscountCodePayload:
    discount_code: DiscountCode | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteDiscountCodePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
