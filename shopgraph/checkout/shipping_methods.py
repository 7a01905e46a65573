"""Shipping methods: admins manage them; a cart offers the active ones that ship to its
shipping address's country, and charges one of them by `ShippingMethod.price_for`."""

from collections.abc import Iterable
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.checkout.shipping_rules import (
    DEFAULTS,
    DELIVERY_DAYS,
    ShippingMethodFields,
    checked_changes,
    delivery_days_problems,
    missing_problems,
    normalised_country,
)
from shopgraph.countries import is_country
from shopgraph.datasources.shipping_methods import ShippingMethodsDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, reject_any

# A store's whole list is read at once (the admin listing, a cart's choices), so it stays short.
MAX_SHIPPING_METHODS = 100
_UPDATE_TRIES = 3


@dataclass(frozen=True, slots=True)
class ShippingMethod:
    """Amounts in minor units of the store currency; `countries` ISO 3166-1 alpha-2 codes."""

    id: ObjectId
    name: str
    description: str
    price: int
    countries: tuple[str, ...]
    free_over_subtotal: int | None
    min_delivery_days: int | None
    max_delivery_days: int | None
    active: bool

    def ships_to(self, country: str) -> bool:
        return normalised_country(country) in self.countries

    def price_for(self, goods_total: int) -> int:
        """What shipping goods worth `goods_total` costs: nothing from `free_over_subtotal` on."""
        if self.free_over_subtotal is not None and goods_total >= self.free_over_subtotal:
            return 0
        return self.price


def shipping_method(document: Document) -> ShippingMethod:
    return ShippingMethod(
        id=document["_id"],
        name=document["name"],
        description=document.get("description") or "",
        price=document["price"],
        countries=tuple(document.get("countries") or ()),
        free_over_subtotal=document.get("freeOverSubtotal"),
        min_delivery_days=document.get("minDeliveryDays"),
        max_delivery_days=document.get("maxDeliveryDays"),
        active=document["active"],
    )


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "There is no such shipping method.", "id")


@dataclass(frozen=True, slots=True)
class ShippingMethods:
    methods: ShippingMethodsDatasource
    currency: str

    async def create(self, fields: ShippingMethodFields) -> ShippingMethod:
        """Needs a name, a price and countries. Raises InvalidInput with every problem, or
        INVALID when the store has `MAX_SHIPPING_METHODS` already. The new method is stored
        and then counted, and taken back when it is one too many: racing creations at the
        limit may all be refused, but more than the limit are never kept."""
        changes, problems = checked_changes(fields, self.currency)
        document = {**DEFAULTS, **changes}
        reject_any(missing_problems(fields) + problems + delivery_days_problems(document, changes))
        document["_id"] = ObjectId()
        await self.methods.insert(document)
        if await self.methods.count_all() > MAX_SHIPPING_METHODS:
            await self.methods.delete(document["_id"])
            message = (
                f"A store has at most {MAX_SHIPPING_METHODS} shipping methods: change or delete "
                "one instead."
            )
            raise DomainError(ErrorCode.INVALID, message)
        return shipping_method(document)

    async def update(self, method_id: ObjectId, fields: ShippingMethodFields) -> ShippingMethod:
        """Partial: only the given fields change; null clears `free_over_subtotal` and the
        delivery days. A change of one delivery day applies only while the other is still
        the one it was checked against, so racing updates never store min > max. Raises
        InvalidInput, or NOT_FOUND (field `id`)."""
        changes, problems = checked_changes(fields, self.currency)
        reject_any(problems)
        for _ in range(_UPDATE_TRIES):
            current = await self.methods.by_id(method_id)
            if current is None:
                raise _not_found()
            if not changes:
                return shipping_method(current)
            reject_any(delivery_days_problems({**current, **changes}, changes))
            expected = {}
            if changes.keys() & set(DELIVERY_DAYS):
                expected = {day: current.get(day) for day in DELIVERY_DAYS if day not in changes}
            updated = await self.methods.update(method_id, expected, changes)
            if updated is not None:
                return shipping_method(updated)
        raise RuntimeError(f"shipping method {method_id} kept changing during an update")

    async def delete(self, method_id: ObjectId) -> None:
        """Carts that chose it report SHIPPING_METHOD_UNAVAILABLE; placed orders keep
        their own copy of it. Raises NOT_FOUND (field `id`)."""
        if not await self.methods.delete(method_id):
            raise _not_found()

    async def all(self) -> list[ShippingMethod]:
        """Every method, inactive ones too, oldest first."""
        return [shipping_method(d) for d in await self.methods.oldest(MAX_SHIPPING_METHODS)]

    async def get(self, method_id: ObjectId) -> ShippingMethod | None:
        document = await self.methods.by_id(method_id)
        return None if document is None else shipping_method(document)

    async def get_many(self, method_ids: Iterable[ObjectId]) -> dict[ObjectId, ShippingMethod]:
        """One query (none for no ids); methods that do not exist are absent from the answer."""
        wanted = list(method_ids)
        if not wanted:
            return {}
        found = await self.methods.many(wanted)
        return {method_id: shipping_method(document) for method_id, document in found.items()}

    async def for_country(self, country: str) -> list[ShippingMethod]:
        """The active methods that ship to `country` (an alpha-2 code), cheapest first
        (by `price`; equal prices oldest first)."""
        code = normalised_country(country)
        if not is_country(code):
            return []
        documents = await self.methods.active_shipping_to(code, MAX_SHIPPING_METHODS)
        return [shipping_method(document) for document in documents]
