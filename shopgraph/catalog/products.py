"""The catalog service: admins create, change and delete products and adjust their stock.

Every stock change an admin makes is recorded as a movement (who, how much, why, and the
stock after it), so the ledger of movements explains the stock. Setting the stock outright
(`update_product`) is a compare-and-set on the stock the admin saw, so it never overwrites
what orders took or gave back meanwhile.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from shopgraph.catalog.product_rules import MAX_STOCK, product_changes
from shopgraph.datasources.products import ProductsDatasource, SkuTaken, StockMoved
from shopgraph.datasources.stock_movements import StockMovementsDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, InvalidInput, Problem, reject_any

MAX_REASON = 200


def _sku_taken(sku: object) -> DomainError:
    return DomainError(ErrorCode.ALREADY_EXISTS, f"A product with SKU {sku!r} exists.", "input.sku")


def _not_found(field: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "There is no such product.", field)


def _stock_changed(expected: int, current: int | None) -> DomainError:
    message = (
        f"The stock changed meanwhile: it is {current or 0} now, not {expected}. Nothing was "
        "updated; send the update again with the stock you see now, or use adjustStock."
    )
    return DomainError(ErrorCode.STOCK_CHANGED, message, "input.expectedStock")


def _without_expected_stock(
    given: Mapping[str, object],
) -> tuple[dict[str, object], int | None, list[Problem]]:
    """(the product fields, the stock the admin saw, what is wrong with the pair).

    A new stock needs the one it replaces: without it, an order's decrement made since
    the admin looked would be overwritten, and a cancellation later returns units on top.
    """
    fields = {name: value for name, value in given.items() if name != "expected_stock"}
    expected = given.get("expected_stock")
    problems = []
    if fields.get("stock") is not None and expected is None:
        message = (
            "Setting stock needs expectedStock, the stock you saw; to add or remove units, "
            "use adjustStock instead."
        )
        problems.append(Problem("input.expectedStock", message))
    elif "expected_stock" in given and "stock" not in fields:
        problems.append(Problem("input.expectedStock", "expectedStock goes with stock."))
    return fields, expected if isinstance(expected, int) else None, problems


def _adjustment_problems(delta: int, reason: str) -> list[Problem]:
    problems = []
    if delta == 0 or abs(delta) > MAX_STOCK:
        message = f"The delta must be non-zero and at most {MAX_STOCK} either way."
        problems.append(Problem("delta", message))
    if not 1 <= len(reason) <= MAX_REASON:
        problems.append(Problem("reason", f"Give a reason of 1 to {MAX_REASON} characters."))
    return problems


@dataclass(frozen=True, slots=True)
class Catalog:
    products: ProductsDatasource
    movements: StockMovementsDatasource
    currency: str

    async def create_product(self, given: Mapping[str, object], admin_id: ObjectId) -> Document:
        """`given`: the input fields that were sent. Raises InvalidInput or ALREADY_EXISTS."""
        fields = product_changes(given, self.currency)
        try:
            document = await self.products.create(fields)
        except SkuTaken:
            raise _sku_taken(fields["sku"]) from None
        if document["stock"]:
            await self.movements.record(
                document["_id"], document["stock"], document["stock"], "created", admin_id
            )
        return document

    async def update_product(
        self, product_id: ObjectId, given: Mapping[str, object], admin_id: ObjectId
    ) -> Document:
        """Partial: only the given fields change. A new stock applies, with everything else
        given, only while the stock is still the expected one (else STOCK_CHANGED, and
        nothing changes), and is recorded as a movement."""
        fields, expected_stock, problems = _without_expected_stock(given)
        try:
            changes = product_changes(fields, self.currency)
        except InvalidInput as invalid:
            reject_any([*invalid.problems, *problems])
            raise
        reject_any(problems)
        try:
            document = await self.products.update(product_id, changes, expected_stock)
        except SkuTaken:
            raise _sku_taken(changes.get("sku")) from None
        except StockMoved as moved:
            raise _stock_changed(moved.expected, moved.current) from None
        if document is None:
            raise _not_found("id")
        if expected_stock is not None and changes["stock"] != expected_stock:
            delta = changes["stock"] - expected_stock
            await self.movements.record(
                product_id, delta, changes["stock"], "updateProduct", admin_id
            )
        return document

    async def delete_product(self, product_id: ObjectId) -> None:
        """The product leaves the catalog; orders keep their own snapshot of it."""
        if not await self.products.delete(product_id):
            raise _not_found("id")

    async def adjust_stock(
        self, product_id: ObjectId, delta: int, reason: str, admin_id: ObjectId
    ) -> Document:
        """Atomic: concurrent adjustments all apply, and stock never goes below zero."""
        reason = reason.strip()
        reject_any(_adjustment_problems(delta, reason))
        document = await self.products.adjust_stock(product_id, delta, MAX_STOCK)
        if document is None:
            available = await self.products.stock_of(product_id)
            if available is None:
                raise _not_found("productId")
            if delta > 0:
                message = (
                    f"Stock may be at most {MAX_STOCK}: at most {MAX_STOCK - available} more fit."
                )
                raise DomainError(ErrorCode.INVALID, message, "delta")
            message = f"Only {available} in stock; cannot remove {-delta}."
            raise DomainError(ErrorCode.OUT_OF_STOCK, message, "delta")
        await self.movements.record(product_id, delta, document["stock"], reason, admin_id)
        return document

    async def seed(
        self, products: Iterable[dict[str, Any]], *, reset: bool = False, only_if_empty: bool
    ) -> int:
        """Adds the products whose SKU is missing; returns how many. `reset` deletes every
        product first; `only_if_empty` leaves a catalog that has any product alone."""
        if reset:
            await self.products.delete_all()
        if only_if_empty and not await self.products.is_empty():
            return 0
        return await self.products.insert_missing(products)
