"""Admins add, change and delete a product's variants.

Each change rewrites the product's variant list in one update pinned to the list as read
(see `catalog.variant_writes`), so concurrent orders and admins never lose a unit or an
edit. A product keeps at least one variant; its SKUs are claimed before they are written.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bson import ObjectId

from shopgraph.catalog.product_rules import check_price, check_sku, check_stock
from shopgraph.catalog.refusals import expected_stock_problems, not_found, stock_changed
from shopgraph.catalog.sku_claims import SkuClaims, skus_of
from shopgraph.catalog.variant_rules import (
    VariantSpec,
    in_option_order,
    new_variant,
    selection_problem,
    stored_options,
    variant_list_problems,
)
from shopgraph.catalog.variant_writes import VariantList, record_movement, write_variants
from shopgraph.datasources.product_variants import StoredVariant, stored_variants
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.datasources.stock_movements import StockMovementsDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem, reject_any


def _list_problems(variants: list[StoredVariant], product: Document, index: int) -> list[Problem]:
    """The problems of the variant at `index` in the product's new list, as input fields."""
    problems = variant_list_problems(variants, stored_options(product), "variants")
    prefix = f"variants.{index}."
    return [
        replace(problem, field="input." + problem.field.removeprefix(prefix))
        if problem.field and problem.field.startswith(prefix)
        else replace(problem, field="input")
        for problem in problems
    ]


@dataclass(frozen=True, slots=True)
class Variants:
    products: ProductsDatasource
    movements: StockMovementsDatasource
    claims: SkuClaims
    currency: str

    async def _product(self, product_id: ObjectId, field: str) -> Document:
        product = await self.products.with_variants(product_id)
        if product is None:
            raise not_found(field)
        return product

    async def _write(
        self,
        product: Document,
        new_skus: dict[str, str],
        build: Callable[[Document], VariantList],
    ) -> Document:
        """Claims the new SKUs, writes the list, and gives up the SKUs no longer used (or,
        when the write is refused, the ones it claimed)."""
        made = await self.claims.claim(new_skus, product["_id"])
        try:
            written = await write_variants(self.products, product, build)
        except DomainError:
            await self.claims.release_if_unused(made, product["_id"])
            raise
        await self.claims.release_unused(product, written)
        return written

    async def create_variant(
        self, product_id: ObjectId, spec: VariantSpec, admin_id: ObjectId
    ) -> tuple[Document, ObjectId]:
        """Returns the product and the new variant's id. Raises InvalidInput,
        ALREADY_EXISTS (SKU) or NOT_FOUND."""
        product = await self._product(product_id, "productId")
        variant = new_variant(spec, stored_options(product), self.currency, "input")

        def build(current: Document) -> VariantList:
            variants = [*stored_variants(current), variant]
            reject_any(_list_problems(variants, current, len(variants) - 1))
            return VariantList(variants, {variant.id: variant.stock})

        new_skus = {} if variant.sku in skus_of(product) else {variant.sku: "input.sku"}
        written = await self._write(product, new_skus, build)
        if variant.stock:
            await record_movement(
                self.movements, written, variant.id, variant.stock, "createVariant", admin_id
            )
        return written, variant.id

    async def update_variant(
        self,
        product_id: ObjectId,
        variant_id: ObjectId,
        spec: VariantSpec,
        expected_stock: int | None,
        admin_id: ObjectId,
    ) -> Document:
        """Partial: the fields of `spec` that are not None change; a new stock only while
        the variant's stock is `expected_stock`. Raises InvalidInput, ALREADY_EXISTS,
        STOCK_CHANGED or NOT_FOUND."""
        given = {"stock": spec.stock}
        if expected_stock is not None:
            given["expected_stock"] = expected_stock
        problems = expected_stock_problems(given, "input")
        checks = (("sku", check_sku), ("price", check_price), ("stock", check_stock))
        changes: dict[str, Any] = {}
        for name, check in checks:
            value = getattr(spec, name)
            if value is not None:
                try:
                    changes[name] = check(value, self.currency)
                except ValueError as error:
                    problems.append(Problem(f"input.{name}", str(error)))
        reject_any(problems)
        product = await self._product(product_id, "id")

        def build(current: Document) -> VariantList:
            variants = stored_variants(current)
            index = next((i for i, v in enumerate(variants) if v.id == variant_id), None)
            if index is None:
                raise not_found("id", "variant")
            variant = replace(
                variants[index],
                sku=changes.get("sku", variants[index].sku),
                price=changes.get("price", variants[index].price),
            )
            if spec.selected_options is not None:
                options = stored_options(current)
                selected = tuple((n.strip(), v.strip()) for n, v in spec.selected_options)
                problem = selection_problem(selected, options)
                if problem is not None:
                    reject_any([Problem("input.selectedOptions", problem)])
                variant = replace(variant, selected_options=in_option_order(selected, options))
            variants[index] = variant
            reject_any(_list_problems(variants, current, index))
            if "stock" not in changes or expected_stock is None:
                return VariantList(variants)
            if variants[index].stock != expected_stock:
                raise stock_changed(expected_stock, variants[index].stock, "input.expectedStock")
            return VariantList(
                variants, {variant_id: changes["stock"]}, {variant_id: expected_stock}
            )

        sku = changes.get("sku")
        new_skus = {sku: "input.sku"} if sku is not None and sku not in skus_of(product) else {}
        written = await self._write(product, new_skus, build)
        if expected_stock is not None and changes.get("stock", expected_stock) != expected_stock:
            delta = changes["stock"] - expected_stock
            await record_movement(
                self.movements, written, variant_id, delta, "updateVariant", admin_id
            )
        return written

    async def delete_variant(
        self, product_id: ObjectId, variant_id: ObjectId, admin_id: ObjectId
    ) -> Document:
        """The variant and its stock leave the product; orders keep their snapshot of it.
        The last variant stays: delete the product instead."""
        product = await self._product(product_id, "id")
        removed: list[StoredVariant] = []

        def build(current: Document) -> VariantList:
            variants = stored_variants(current)
            gone = [variant for variant in variants if variant.id == variant_id]
            if not gone:
                raise not_found("id", "variant")
            if len(variants) == 1:
                message = "A product keeps at least one variant: delete the product instead."
                raise DomainError(ErrorCode.INVALID, message, "id")
            removed[:] = gone
            return VariantList([variant for variant in variants if variant.id != variant_id])

        written = await self._write(product, {}, build)
        if removed and removed[0].stock:
            await self.movements.record(
                product_id, variant_id, -removed[0].stock, 0, "deleteVariant", admin_id
            )
        return written
