"""SKUs are unique across products and variants: each is claimed before it is stored.

A claim is made before the product or variant that uses it is written, and given up
after it stops using it. A process that stops in between leaves a claim no product uses;
once it is older than `STALE_AFTER` (longer than any write takes) another product may
take it over. Products stored by other programs without claims are checked by their SKU.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from bson import ObjectId

from shopgraph.clock import utc_now
from shopgraph.datasources.product_variants import stored_variants
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.datasources.skus import SkusDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode

STALE_AFTER = timedelta(minutes=5)


def skus_of(product: Document) -> set[str]:
    """Every SKU the product uses: its own and its variants'."""
    return {product["sku"], *(variant.sku for variant in stored_variants(product))}


def sku_taken(sku: str, field: str) -> DomainError:
    return DomainError(ErrorCode.ALREADY_EXISTS, f"A product with SKU {sku!r} exists.", field)


@dataclass(frozen=True, slots=True)
class SkuClaims:
    skus: SkusDatasource
    products: ProductsDatasource

    async def claim(self, wanted: Mapping[str, str], product_id: ObjectId) -> None:
        """Claims every SKU (mapped to its input field) for the product, or none of them.
        Raises ALREADY_EXISTS naming the first one another product holds."""
        claimed: list[str] = []
        for sku, field in wanted.items():
            if not await self._claim_one(sku, product_id):
                await self.skus.release(claimed, product_id)
                raise sku_taken(sku, field)
            claimed.append(sku)

    async def _claim_one(self, sku: str, product_id: ObjectId) -> bool:
        holder = await self.skus.claim(sku, product_id)
        if holder is not None:
            stale = utc_now() - STALE_AFTER
            if await self._uses(holder["productId"], sku):
                return False
            if not await self.skus.take_over(sku, holder, product_id, stale):
                return False
        unclaimed = await self.products.by_sku(sku, ["_id"])
        if unclaimed is not None and unclaimed["_id"] != product_id:
            await self.skus.release([sku], product_id)
            return False
        return True

    async def _uses(self, product_id: ObjectId, sku: str) -> bool:
        product = await self.products.with_variants(product_id)
        return product is not None and sku in skus_of(product)

    async def release(self, skus: Iterable[str], product_id: ObjectId) -> None:
        await self.skus.release(skus, product_id)

    async def release_unused(self, before: Document, after: Document) -> None:
        """Gives up the SKUs `before` used and `after` (the same product) no longer does."""
        unused = skus_of(before) - skus_of(after)
        if unused:
            await self.skus.release(unused, before["_id"])
