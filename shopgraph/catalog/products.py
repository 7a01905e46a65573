"""The catalog service: admins create, change and delete products and adjust their stock.

Every stock change an admin makes is recorded as a movement (who, which variant, how much,
why, and the variant's stock after it), so the ledger of movements explains the stock.
Setting a stock outright is a compare-and-set on the stock the admin saw, so it never
overwrites what orders took or gave back meanwhile. Variants are created, changed and
deleted by `catalog.variants`.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bson import ObjectId

from shopgraph.catalog.image_storage import ImageStorage
from shopgraph.catalog.product_rules import MAX_STOCK, product_changes
from shopgraph.catalog.product_updates import shares_sku, variant_changes
from shopgraph.catalog.refusals import (
    expected_stock_problems,
    not_found,
    one_variant_only,
)
from shopgraph.catalog.sku_claims import SkuClaims, sku_taken, skus_of
from shopgraph.catalog.variant_rules import (
    OptionSpec,
    VariantSpec,
    checked_options,
    new_variant,
    options_document,
    variant_list_problems,
    variants_document,
)
from shopgraph.catalog.variant_writes import record_movement, write_variants
from shopgraph.datasources.product_variants import (
    StoredVariant,
    new_product,
    stored_variant,
    stored_variants,
)
from shopgraph.datasources.products import ProductsDatasource, SkuTaken
from shopgraph.datasources.stock_movements import StockMovementsDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, InvalidInput, Problem, reject_any

MAX_REASON = 200


def _adjustment_problems(delta: int, reason: str) -> list[Problem]:
    problems = []
    if delta == 0 or abs(delta) > MAX_STOCK:
        message = f"The delta must be non-zero and at most {MAX_STOCK} either way."
        problems.append(Problem("delta", message))
    if not 1 <= len(reason) <= MAX_REASON:
        problems.append(Problem("reason", f"Give a reason of 1 to {MAX_REASON} characters."))
    return problems


def _problems_of(check: Any, *args: Any) -> tuple[Any, list[Problem]]:
    """Runs a check that raises InvalidInput, returning its result or its problems."""
    try:
        return check(*args), []
    except InvalidInput as invalid:
        return None, list(invalid.problems)


@dataclass(frozen=True, slots=True)
class Catalog:
    products: ProductsDatasource
    movements: StockMovementsDatasource
    claims: SkuClaims
    currency: str
    images: ImageStorage

    async def create_product(
        self,
        given: Mapping[str, object],
        admin_id: ObjectId,
        options: Sequence[OptionSpec] = (),
        variants: Sequence[VariantSpec] | None = None,
    ) -> Document:
        """`given`: the product's own input fields that were sent. Without `variants` the
        product has one, from its price and stock. Raises InvalidInput or ALREADY_EXISTS."""
        product_id = ObjectId()
        checked, problems = _problems_of(checked_options, options, "input.options")
        own = dict(given)
        if variants:
            for name, unset in (("price", None), ("stock", 0)):
                if own.pop(name, unset) != unset:
                    message = f"With variants, each variant has its own {name}: leave it out."
                    problems.append(Problem(f"input.{name}", message))
        elif given.get("price") is None:
            problems.append(Problem("input.price", "Give the product's price, or its variants."))
            own.pop("price", None)
        fields, more = _problems_of(product_changes, own, self.currency)
        problems += more
        reject_any(problems)
        if not variants:
            if checked:
                reject_any([Problem("input.variants", "Give the variants of these options.")])
            stock = fields.pop("stock", 0)
            listed = [StoredVariant(product_id, fields["sku"], fields["price"], (), stock)]
        else:
            listed = self._new_variants(variants, checked)
        document = new_product(
            {"_id": product_id, **fields},
            options_document(checked),
            variants_document(listed),
            {variant.id: variant.stock for variant in listed},
        )
        await self._claim_all(product_id, fields["sku"], listed)
        try:
            document = await self.products.create(document)
        except SkuTaken:
            await self.claims.release_if_unused(skus_of(document), product_id)
            raise sku_taken(fields["sku"], "input.sku") from None
        for variant in listed:
            if variant.stock:
                await record_movement(
                    self.movements, document, variant.id, variant.stock, "created", admin_id
                )
        return document

    def _new_variants(
        self, specs: Sequence[VariantSpec], options: Sequence[OptionSpec]
    ) -> list[StoredVariant]:
        listed: list[StoredVariant] = []
        problems: list[Problem] = []
        for index, spec in enumerate(specs):
            variant, more = _problems_of(
                new_variant, spec, options, self.currency, f"input.variants.{index}"
            )
            problems += more
            if variant is not None:
                listed.append(variant)
        reject_any(problems)
        reject_any(variant_list_problems(listed, options, "input.variants"))
        return listed

    async def _claim_all(
        self, product_id: ObjectId, sku: str, variants: Sequence[StoredVariant]
    ) -> None:
        wanted = {sku: "input.sku"}
        for index, variant in enumerate(variants):
            wanted.setdefault(variant.sku, f"input.variants.{index}.sku")
        await self.claims.claim(wanted, product_id)

    async def update_product(
        self, product_id: ObjectId, given: Mapping[str, object], admin_id: ObjectId
    ) -> Document:
        """Partial: only the given fields change. Price and stock belong to a product's one
        variant (with several, each is set on its variant). A new stock applies, with
        everything else given, only while the stock is still the expected one (else
        STOCK_CHANGED, and nothing changes), and is recorded as a movement."""
        options = given.get("options")
        fields = {k: v for k, v in given.items() if k not in ("expected_stock", "options")}
        changes, problems = _problems_of(product_changes, fields, self.currency)
        checked, more = (None, [])
        if options is not None:
            checked, more = _problems_of(checked_options, options, "input.options")
        reject_any(problems + expected_stock_problems(given, "input") + more)
        product = await self.products.with_variants(product_id)
        if product is None:
            raise not_found("id")
        expected = given.get("expected_stock")
        made: set[str] = set()
        if "sku" in changes:
            made = await self.claims.claim({changes["sku"]: "input.sku"}, product_id)
        try:
            if (
                checked is None
                and not {"price", "stock"} & changes.keys()
                and not ("sku" in changes and shares_sku(product))
            ):
                document = await self._update_own_fields(product_id, changes)
            else:
                build = variant_changes(
                    changes, checked, expected if isinstance(expected, int) else None
                )
                document = await write_variants(self.products, product, build)
        except (DomainError, SkuTaken) as refusal:
            await self.claims.release_if_unused(made, product_id)
            if isinstance(refusal, SkuTaken):
                raise sku_taken(changes["sku"], "input.sku") from None
            raise
        await self.claims.release_unused(product, document)
        if isinstance(expected, int) and changes.get("stock") not in (None, expected):
            variant_id = stored_variants(document)[0].id
            delta = changes["stock"] - expected
            await record_movement(
                self.movements, document, variant_id, delta, "updateProduct", admin_id
            )
        return document

    async def _update_own_fields(self, product_id: ObjectId, changes: Document) -> Document:
        document = await self.products.update(product_id, changes)
        if document is None:
            raise not_found("id")
        return document

    async def delete_product(self, product_id: ObjectId) -> None:
        """The product leaves the catalog, its SKUs are free again and its images are gone;
        orders keep their own snapshot of it."""
        if not await self.products.delete(product_id):
            raise not_found("id")
        await self.claims.skus.release_all(product_id)
        await self.images.remove_product(product_id)

    async def adjust_stock(
        self,
        product_id: ObjectId,
        variant_id: ObjectId | None,
        delta: int,
        reason: str,
        admin_id: ObjectId,
    ) -> tuple[Document, ObjectId]:
        """Atomic: concurrent adjustments all apply, and stock never goes below zero.
        `variant_id` None: the product's only variant. Returns the product and the variant."""
        reason = reason.strip()
        reject_any(_adjustment_problems(delta, reason))
        document = await self.products.adjust_stock(product_id, variant_id, delta, MAX_STOCK)
        if document is None:
            raise await self._not_adjusted(product_id, variant_id, delta)
        adjusted = variant_id or stored_variants(document)[0].id
        await record_movement(self.movements, document, adjusted, delta, reason, admin_id)
        return document, adjusted

    async def _not_adjusted(
        self, product_id: ObjectId, variant_id: ObjectId | None, delta: int
    ) -> DomainError:
        """Why an adjustment applied to nothing, as the product is now."""
        field = "productId" if variant_id is None else "variantId"
        product = await self.products.with_variants(product_id)
        if product is None:
            return not_found(field)
        variants = stored_variants(product)
        if variant_id is None and len(variants) > 1:
            return InvalidInput([one_variant_only(product, field, "adjust one by variantId")])
        variant = stored_variant(product, variant_id or variants[0].id)
        if variant is None:
            return not_found(field, "variant")
        if delta > 0:
            message = (
                f"Stock may be at most {MAX_STOCK}: at most {MAX_STOCK - variant.stock} more fit."
            )
            return DomainError(ErrorCode.INVALID, message, "delta")
        message = f"Only {variant.stock} in stock; cannot remove {-delta}."
        return DomainError(ErrorCode.OUT_OF_STOCK, message, "delta")

    async def seed(
        self, products: Iterable[dict[str, Any]], *, reset: bool = False, only_if_empty: bool
    ) -> int:
        """Adds the products whose SKU is missing; returns how many. `reset` deletes every
        product first; `only_if_empty` leaves a catalog that has any product alone."""
        if reset:
            await self.products.delete_all()
            await self.claims.skus.delete_all()
            await self.images.remove_all()
        if only_if_empty and not await self.products.is_empty():
            return 0
        added = await self.products.insert_missing(products)
        await self.claims.skus.register(
            (sku, product["_id"]) for product in added for sku in skus_of(product)
        )
        return len(added)
