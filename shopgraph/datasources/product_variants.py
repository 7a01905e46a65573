"""How a product document keeps its variants and their stock, read and changed in one place.

`variants` lists a product's variants (id, SKU, price, selected options) and is only ever
written whole: the embedded server silently ignores updates of array elements, and MongoDB
changes one document atomically either way. Stock lives outside the array:
- with one variant there is no `variantStock`, and `stock` is that variant's stock of
  record, so programs that read or write `stock` keep working;
- with several, `variantStock.<variant id>` holds each one's stock and `stock` their sum;
  one update `$inc`s both, with a `$gte` condition on the variant's entry.
Every change of the variant list moves `variantsVersion` on, so a stock update computed
from a product as read (`stock_update`) can be pinned to that list.

A document without `variants` (stored before variants, or by another program) has one
variant, its default variant, whose id is the product's own.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.documents import Document

VARIANT_STOCK = "variantStock"
VARIANTS_VERSION = "variantsVersion"
# What a product must be read with to know its variants and their stock.
VARIANT_FIELDS = ("sku", "price", "stock", "variants", VARIANT_STOCK, VARIANTS_VERSION)
DEFAULT_TITLE = "Default Title"
# How often a stock update is computed again when the product's variants changed between
# reading it and updating it (an admin editing variants while orders take stock).
VARIANT_RETRIES = 5


@dataclass(frozen=True, slots=True)
class StoredVariant:
    id: ObjectId
    sku: str
    price: int
    selected_options: tuple[tuple[str, str], ...]  # (option name, value), in option order
    stock: int

    @property
    def title(self) -> str:
        """The option values joined, as a storefront shows them: "42 / Black"."""
        return " / ".join(value for _, value in self.selected_options) or DEFAULT_TITLE


def has_several_variants(product: Document) -> bool:
    return isinstance(product.get(VARIANT_STOCK), dict)


def stored_variants(product: Document) -> list[StoredVariant]:
    """The product's variants in display order, each with its stock."""
    listed = product.get("variants")
    if not listed:
        listed = [{"_id": product["_id"], "sku": product.get("sku", ""), "price": product["price"]}]
    several = has_several_variants(product)
    stocks = product.get(VARIANT_STOCK) or {}
    return [
        StoredVariant(
            id=variant["_id"],
            sku=variant.get("sku", ""),
            price=int(variant.get("price", 0)),
            selected_options=tuple(
                (option["name"], option["value"]) for option in variant.get("selectedOptions") or ()
            ),
            stock=int(stocks.get(str(variant["_id"]), 0) if several else product.get("stock", 0)),
        )
        for variant in listed
    ]


def stored_variant(product: Document, variant_id: ObjectId) -> StoredVariant | None:
    return next((v for v in stored_variants(product) if v.id == variant_id), None)


@dataclass(frozen=True, slots=True)
class VariantStockUpdate:
    """Conditions and increments that change some variants' stock in one update."""

    conditions: Document
    increments: dict[str, int]


@dataclass(frozen=True, slots=True)
class VariantsUpdate:
    """A conditional update of a product's variant list."""

    conditions: Document
    update: Document


def stock_update(product: Document, deltas: Mapping[ObjectId, int]) -> VariantStockUpdate | None:
    """The update that adds `deltas` to these variants of `product` (as read), never taking
    any below zero; None when one of them is not a variant of it.

    The conditions pin what was read about the variants: with several, each entry must still
    be there; with one, the list must be the one read (its version) and still have one.
    """
    if has_several_variants(product):
        stocks = product[VARIANT_STOCK]
        conditions: Document = {}
        increments: dict[str, int] = {}
        for variant_id, delta in deltas.items():
            if str(variant_id) not in stocks:
                return None
            path = f"{VARIANT_STOCK}.{variant_id}"
            conditions[path] = {"$gte": -delta} if delta < 0 else {"$exists": True}
            increments[path] = delta
        increments["stock"] = sum(deltas.values())
        return VariantStockUpdate(conditions, increments)
    variants = stored_variants(product)
    if len(variants) != 1 or set(deltas) != {variants[0].id}:
        return None
    delta = sum(deltas.values())
    conditions = {
        VARIANT_STOCK: {"$exists": False},
        VARIANTS_VERSION: product.get(VARIANTS_VERSION),
    }
    if delta < 0:
        conditions["stock"] = {"$gte": -delta}
    return VariantStockUpdate(conditions, {"stock": delta})


def guessed_stock_update(variant_id: ObjectId | None, delta: int) -> VariantStockUpdate:
    """`stock_update` for the shape a request suggests, before the product is read: a named
    variant of a product with several, or (None) the only variant of a product with one."""
    if variant_id is None:
        conditions: Document = {VARIANT_STOCK: {"$exists": False}}
        path, increments = "stock", {"stock": delta}
    else:
        path = f"{VARIANT_STOCK}.{variant_id}"
        conditions, increments = {path: {"$exists": True}}, {path: delta, "stock": delta}
    if delta < 0:
        conditions[path] = {"$gte": -delta}
    return VariantStockUpdate(conditions, increments)


def variants_change(
    product: Document,
    variants: Sequence[Document],
    stocks: Mapping[ObjectId, int],
    expected: Mapping[ObjectId, int],
) -> VariantsUpdate:
    """The update that makes `variants` (stored form, in display order) the product's list.

    A new variant gets `stocks[id]`; a kept one keeps its stock, or gets `stocks[id]` when it
    was `expected[id]`. The conditions pin the list as read (its version) and every stock
    that moves between `stock` and `variantStock`, or that is set; removed variants' units
    leave with them. Applies to the product as read with `VARIANT_FIELDS`.
    """
    before = {variant.id: variant.stock for variant in stored_variants(product)}
    after = [variant["_id"] for variant in variants]
    several_before, several_after = has_several_variants(product), len(after) > 1
    reshaped = several_before != several_after or (not several_before and set(after) != set(before))
    conditions: Document = {VARIANTS_VERSION: product.get(VARIANTS_VERSION)}
    new_stock: dict[ObjectId, int] = {}
    for variant_id in after:
        old = expected.get(variant_id, before.get(variant_id))
        if variant_id in before and (variant_id in expected or reshaped):
            path = f"{VARIANT_STOCK}.{variant_id}" if several_before else "stock"
            conditions[path] = old
        new_stock[variant_id] = stocks.get(variant_id, old or 0)
    removed = [variant_id for variant_id in before if variant_id not in new_stock]
    set_: Document = {"variants": list(variants), "price": min(v["price"] for v in variants)}
    update: Document = {"$set": set_, "$inc": {VARIANTS_VERSION: 1}}
    if not several_before:
        conditions[VARIANT_STOCK] = {"$exists": False}
    if several_after and several_before:
        for variant_id in removed:
            conditions[f"{VARIANT_STOCK}.{variant_id}"] = before[variant_id]
        update["$unset"] = {f"{VARIANT_STOCK}.{variant_id}": "" for variant_id in removed}
        changed = {v: s for v, s in new_stock.items() if before.get(v) != s or v in expected}
        set_.update({f"{VARIANT_STOCK}.{v}": s for v, s in changed.items()})
        moved = sum(new_stock.values()) - sum(before.values())
        if moved:
            update["$inc"]["stock"] = moved
    elif several_after:
        set_[VARIANT_STOCK] = {str(v): s for v, s in new_stock.items()}
        set_["stock"] = sum(new_stock.values())
    else:
        if several_before:
            conditions.update({f"{VARIANT_STOCK}.{v}": s for v, s in before.items()})
            update["$unset"] = {VARIANT_STOCK: ""}
        if reshaped or expected:  # else `stock` was not read under a condition: keep it
            set_["stock"] = sum(new_stock.values())
    if not update.get("$unset"):
        update.pop("$unset", None)
    return VariantsUpdate(conditions, update)


def new_product(
    fields: Document,
    options: Sequence[Document],
    variants: Sequence[Document],
    stocks: Mapping[ObjectId, int],
) -> Document:
    """A product document with its variants (stored form) and their stock; `fields` holds
    `_id` and the product's own fields."""
    document: Document = {
        **fields,
        "options": list(options),
        "variants": list(variants),
        "price": min(variant["price"] for variant in variants),
        "stock": sum(stocks.values()),
    }
    if len(variants) > 1:
        document[VARIANT_STOCK] = {str(variant_id): stock for variant_id, stock in stocks.items()}
    return document
