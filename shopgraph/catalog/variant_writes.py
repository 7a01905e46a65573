"""Changing a product's variant list: compute it from the product as read, write it pinned
to what was read, and read again and recompute when orders or admins changed it meanwhile.
Also the ledger entry of a variant's stock movement.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bson import ObjectId

from shopgraph.catalog.variant_rules import variants_document
from shopgraph.datasources.product_variants import (
    StoredVariant,
    stored_variant,
    variants_change,
)
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.datasources.stock_movements import StockMovementsDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode

# Attempts before giving up on a product whose stock keeps moving under a pinned write.
ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class VariantList:
    """A product's new variant list, in display order, and what else changes with it."""

    variants: Sequence[StoredVariant]
    stocks: Mapping[ObjectId, int] = field(default_factory=dict)  # new or set stocks
    expected: Mapping[ObjectId, int] = field(default_factory=dict)  # stocks being replaced
    fields: Mapping[str, object] = field(default_factory=dict)  # other product fields
    options: Sequence[Document] | None = None  # the product's options, when they change


async def write_variants(
    products: ProductsDatasource,
    product: Document,
    build: Callable[[Document], VariantList],
) -> Document:
    """The product after `build(product)`'s list is written. `build` raises DomainError to
    refuse (it sees the product as it is now on every attempt). Raises SkuTaken when the
    product's own SKU is taken."""
    for _ in range(ATTEMPTS):
        wanted = build(product)
        change = variants_change(
            product, variants_document(wanted.variants), wanted.stocks, wanted.expected
        )
        fields = dict(wanted.fields)
        if wanted.options is not None:
            fields["options"] = list(wanted.options)
        written = await products.change_variants(product["_id"], change, fields)
        if written is not None:
            return written
        current = await products.with_variants(product["_id"])
        if current is None:
            raise DomainError(ErrorCode.NOT_FOUND, "There is no such product.", "id")
        product = current
    raise DomainError(
        ErrorCode.STOCK_CHANGED, "The product's stock kept changing while it was updated; retry."
    )


async def record_movement(
    movements: StockMovementsDatasource,
    product: Document,
    variant_id: ObjectId,
    delta: int,
    reason: str,
    admin_id: ObjectId,
) -> None:
    """A movement of one variant's stock, with its stock after it as `product` shows."""
    variant = stored_variant(product, variant_id)
    after = variant.stock if variant is not None else 0
    await movements.record(product["_id"], variant_id, delta, after, reason, admin_id)
