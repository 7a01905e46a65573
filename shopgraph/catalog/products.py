"""The catalog service: admins create, change and delete products and adjust their stock.

Every stock change an admin makes is recorded as a movement (who, how much, why, and the
stock after it), so the ledger of movements explains the stock.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from shopgraph.catalog.product_rules import MAX_STOCK, product_changes
from shopgraph.datasources.products import ProductsDatasource, SkuTaken
from shopgraph.datasources.stock_movements import StockMovementsDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem, reject_any

MAX_REASON = 200


def _sku_taken(sku: object) -> DomainError:
    return DomainError(ErrorCode.ALREADY_EXISTS, f"A product with SKU {sku!r} exists.", "input.sku")


def _not_found(field: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "There is no such product.", field)


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
        """Partial: only the given fields change. A stock change is recorded as a movement."""
        changes = product_changes(given, self.currency)
        try:
            result = await self.products.update(product_id, changes)
        except SkuTaken:
            raise _sku_taken(changes.get("sku")) from None
        if result is None:
            raise _not_found("id")
        before, after = result
        # From this update alone: a concurrent adjustStock shows in `after` and records its own.
        delta = changes["stock"] - before.get("stock", 0) if "stock" in changes else 0
        if delta:
            await self.movements.record(
                product_id, delta, changes["stock"], "updateProduct", admin_id
            )
        return after

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
