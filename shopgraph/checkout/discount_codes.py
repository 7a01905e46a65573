"""Discount codes: admins create and change them; carts find them by what shoppers type.

A code's terms become a `pricing.Discount`; whether it applies to a cart now is
`why_not_applicable`; its uses are counted by `checkout.discount_uses`, which also keeps
its usage limits when an admin changes them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bson import ObjectId

from shopgraph.checkout import discount_rules
from shopgraph.checkout.discount_uses import DiscountUses
from shopgraph.checkout.pricing import Discount, DiscountKind
from shopgraph.datasources.discount_codes import CodeTaken, DiscountCodesDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, reject_any
from shopgraph.money import format_amount, from_minor_units, to_minor_units

UPDATE_ATTEMPTS = 3  # reads of a code that other admins keep changing


@dataclass(frozen=True, slots=True)
class DiscountCode:
    """`value`: the percent for PERCENTAGE ("10.00"), the amount in the store currency for
    FIXED_AMOUNT ("5.00"), 0 for FREE_SHIPPING. Money in minor units, dates in UTC."""

    id: ObjectId
    code: str
    kind: DiscountKind
    value: Decimal
    min_subtotal: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    usage_limit: int | None
    usage_per_customer: int | None
    active: bool

    def terms(self, currency: str) -> Discount:
        """What the code takes off a cart priced in `currency`."""
        if self.kind is DiscountKind.PERCENTAGE:
            return Discount(self.kind, percent=self.value)
        if self.kind is DiscountKind.FIXED_AMOUNT:
            return Discount(self.kind, amount=to_minor_units(self.value, currency))
        return Discount(self.kind)


def discount_code_of(document: Document, currency: str) -> DiscountCode:
    """The code a stored document describes (see `datasources.discount_codes`)."""
    kind = DiscountKind(document["kind"])
    stored = document.get("value") or 0
    if kind is DiscountKind.PERCENTAGE:
        value = Decimal(stored).scaleb(-2)
    elif kind is DiscountKind.FIXED_AMOUNT:
        value = from_minor_units(stored, currency)
    else:
        value = Decimal(0)
    return DiscountCode(
        id=document["_id"],
        code=document["code"],
        kind=kind,
        value=value,
        min_subtotal=document.get("minSubtotal"),
        starts_at=document.get("startsAt"),
        ends_at=document.get("endsAt"),
        usage_limit=document.get("usageLimit"),
        usage_per_customer=document.get("usagePerCustomer"),
        active=bool(document.get("active", True)),  # some servers store $set booleans as 0/1
    )


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def why_not_applicable(
    code: DiscountCode, goods_subtotal: int, now: datetime, currency: str
) -> str | None:
    """Why the code does not apply to goods worth `goods_subtotal` (minor units, before any
    discount) at `now`, in a sentence for the shopper; None when it applies. Whether uses
    are left is for `DiscountUses.take` to say, at checkout."""
    if not code.active:
        return f"The discount code {code.code} is not available."
    if code.starts_at is not None and now < code.starts_at:
        return f"The discount code {code.code} can be used from {_when(code.starts_at)}."
    if code.ends_at is not None and now >= code.ends_at:
        return f"The discount code {code.code} expired on {_when(code.ends_at)}."
    if code.min_subtotal is not None and goods_subtotal < code.min_subtotal:
        return (
            f"The discount code {code.code} needs a subtotal of at least "
            f"{format_amount(code.min_subtotal, currency)}; this cart's is "
            f"{format_amount(goods_subtotal, currency)}."
        )
    return None


def _code_taken(given: Mapping[str, object]) -> DomainError:
    message = f"The code {str(given.get('code', '')).strip()} exists already."
    return DomainError(ErrorCode.ALREADY_EXISTS, message, "input.code")


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "There is no such discount code.", "id")


@dataclass(frozen=True, slots=True)
class DiscountCodes:
    codes: DiscountCodesDatasource
    uses: DiscountUses
    currency: str

    async def create(self, given: Mapping[str, object]) -> Document:
        """`given`: the input fields sent (see `discount_rules`). Raises InvalidInput, or
        ALREADY_EXISTS when another code matches case-insensitively."""
        fields, _ = discount_rules.changes(given, None, self.currency)
        try:
            return await self.codes.create(fields)
        except CodeTaken:
            raise _code_taken(given) from None

    async def update(self, code_id: ObjectId, given: Mapping[str, object]) -> Document:
        """Only the given fields change; None clears an optional one. A usage limit below
        the uses taken is refused; one at or above them applies to every later checkout.
        Checked against the code as it is when written: an admin's change made meanwhile
        is read again and checked with this one."""
        for _ in range(UPDATE_ATTEMPTS):
            current = await self.codes.by_id(code_id)
            if current is None:
                raise _not_found()
            set_, removed = discount_rules.changes(given, current, self.currency)
            limits = self._new_limits(current, set_, removed)
            if limits is not None:
                reject_any(await self.uses.fit_limits(code_id, *limits))
            try:
                document = await self.codes.update(current, set_, removed)
            except CodeTaken:
                raise _code_taken(given) from None
            if document is None:
                continue
            if limits is not None:  # checkouts that read the old limit meanwhile move below it
                await self.uses.fit_limits(code_id, *limits)
            return document
        message = "The code is being changed by someone else right now; try again."
        raise DomainError(ErrorCode.INVALID, message, "id")

    @staticmethod
    def _new_limits(
        current: Document, set_: Document, removed: set[str]
    ) -> tuple[int | None, int | None] | None:
        """The limits after an update, when one is set lower than before (or set where there
        was none): the uses must then fit below it. None when no limit gets lower."""
        lowered = False
        after: list[int | None] = []
        for field in ("usageLimit", "usagePerCustomer"):
            before = current.get(field)
            new = None if field in removed else set_.get(field, before)
            lowered = lowered or (new is not None and (before is None or new < before))
            after.append(new)
        return (after[0], after[1]) if lowered else None

    async def delete(self, code_id: ObjectId) -> None:
        """Orders keep the code and amount they got; their uses stay counted under the old
        code's id (giving them back still works)."""
        if not await self.codes.delete(code_id):
            raise _not_found()

    async def get(self, code_id: ObjectId) -> DiscountCode | None:
        document = await self.codes.by_id(code_id)
        return None if document is None else discount_code_of(document, self.currency)

    async def get_many(self, code_ids: Sequence[ObjectId]) -> dict[ObjectId, DiscountCode]:
        """One query; missing codes are absent."""
        found = await self.codes.by_ids(code_ids, None)
        return {key: discount_code_of(document, self.currency) for key, document in found.items()}

    async def find(self, code: str) -> DiscountCode | None:
        """The code a shopper typed, whatever its case and surrounding spaces."""
        key = discount_rules.code_key(code) if len(code) <= 1000 else None
        if key is None:
            return None
        document = await self.codes.by_key(key)
        return None if document is None else discount_code_of(document, self.currency)

    async def times_used(self, code_ids: Sequence[ObjectId]) -> dict[ObjectId, int]:
        """How many uses each code has, in one query."""
        return await self.uses.times_used(code_ids)
