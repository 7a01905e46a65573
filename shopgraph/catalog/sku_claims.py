"""SKUs are unique across products and variants: each is claimed before it is stored.

A claim is made before the product or variant that uses it is written, and given up
after it stops using it. A process that stops in between leaves a claim no product uses;
once it is older than `STALE_AFTER` (longer than any write takes) another product may
take it over. A claim also checks that no other product uses the SKU, so products stored
by other programs without claims, and a claim given up while a concurrent write of its
product put the SKU back to use, still keep their SKUs.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from bson import ObjectId

from shopgraph.clock import now_ms
from shopgraph.datasources.product_variants import stored_variants
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.datasources.skus import Claim, SkusDatasource
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

    async def claim(self, wanted: Mapping[str, str], product_id: ObjectId) -> set[str]:
        """Claims every SKU (mapped to its input field) for the product, or none of them;
        returns those this call claimed (the others were the product's already). Raises
        ALREADY_EXISTS naming the first one another product holds or uses."""
        made: set[str] = set()
        for sku, field in wanted.items():
            claim = await self.skus.claim(sku, product_id)
            if claim.made:
                made.add(sku)
            if claim.holder is not None and not await self._take_over(sku, claim, product_id):
                await self.skus.release(made, product_id)
                raise sku_taken(sku, field)
            if await self.products.sku_used_by_another(sku, product_id):
                # Stored without a claim (by another program), or its claim was lost.
                await self.skus.release(made, product_id)
                raise sku_taken(sku, field)
        return made

    async def _take_over(self, sku: str, claim: Claim, product_id: ObjectId) -> bool:
        """Takes a claim its holder no longer uses, once it is old enough that no write of
        the holder's can still be under way."""
        assert claim.holder is not None
        if await self._uses(claim.holder["productId"], sku):
            return False
        stale = now_ms() - int(STALE_AFTER.total_seconds() * 1000)
        return await self.skus.take_over(sku, claim.holder, product_id, stale)

    async def _uses(self, product_id: ObjectId, sku: str) -> bool:
        product = await self.products.with_variants(product_id)
        return product is not None and sku in skus_of(product)

    async def release_if_unused(self, skus: Iterable[str], product_id: ObjectId) -> None:
        """Gives up claims a refused write made, except on SKUs the product uses now (a
        concurrent write of the same product may have put one to use)."""
        skus = set(skus)
        if not skus:
            return
        product = await self.products.with_variants(product_id)
        await self.skus.release(skus - (skus_of(product) if product else set()), product_id)

    async def release_unused(self, before: Document, after: Document) -> None:
        """Gives up the SKUs `before` used and `after` (the same product) no longer does."""
        unused = skus_of(before) - skus_of(after)
        if unused:
            await self.skus.release(unused, before["_id"])
