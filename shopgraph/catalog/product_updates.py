"""What `updateProduct`'s price, stock, SKU and options do to a product's variants.

Price and stock belong to a product's one variant; with several, each is set on its
variant. The SKU of a one-variant product whose variant shares it changes with it. New
options keep each variant's values, add a new option's first value, drop a removed one's.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace

from shopgraph.catalog.refusals import one_variant_only, stock_changed
from shopgraph.catalog.variant_rules import (
    OptionSpec,
    options_document,
    reselected,
    variant_list_problems,
)
from shopgraph.catalog.variant_writes import VariantList
from shopgraph.datasources.product_variants import stored_variants
from shopgraph.documents import Document
from shopgraph.errors import reject_any


def shares_sku(product: Document) -> bool:
    """A product with one variant that has the product's SKU: the two are one SKU."""
    variants = stored_variants(product)
    return len(variants) == 1 and variants[0].sku == product["sku"]


def variant_changes(
    changes: Document, options: Sequence[OptionSpec] | None, expected: int | None
) -> Callable[[Document], VariantList]:
    """What `update_product`'s changes do to the variant list of the product as it is."""

    def build(product: Document) -> VariantList:
        variants = stored_variants(product)
        single = len(variants) == 1
        problems = []
        if "price" in changes and not single:
            what = "set each variant's price with updateVariant"
            problems.append(one_variant_only(product, "input.price", what))
        if "stock" in changes and not single:
            what = "set each variant's stock with updateVariant, or use adjustStock"
            problems.append(one_variant_only(product, "input.stock", what))
        reject_any(problems)
        stocks, replaced = {}, {}
        if "stock" in changes and expected is not None:
            if variants[0].stock != expected:
                raise stock_changed(expected, variants[0].stock, "input.expectedStock")
            stocks, replaced = {variants[0].id: changes["stock"]}, {variants[0].id: expected}
        if single and "price" in changes:
            variants = [replace(variants[0], price=changes["price"])]
        if "sku" in changes and shares_sku(product):
            variants = [replace(variants[0], sku=changes["sku"])]
        options_document_ = None
        if options is not None:
            variants = reselected(variants, options)
            problems = variant_list_problems(variants, options, "input.options")
            reject_any([replace(problem, field="input.options") for problem in problems])
            options_document_ = options_document(options)
        own = {name: value for name, value in changes.items() if name not in ("price", "stock")}
        return VariantList(variants, stocks, replaced, own, options_document_)

    return build
