"""Which variant each order line takes, and why a product's lines could not take stock.

A line names a variant, or a product that has only one; lines that come to the same
variant are one line.
"""

from collections.abc import Sequence

from bson import ObjectId

from shopgraph.checkout.order_lines import OrderLine, merge_lines
from shopgraph.datasources.product_variants import StoredVariant, stored_variant, stored_variants
from shopgraph.datasources.products import is_active
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem, reject_any

NO_SUCH_VARIANT = "There is no such variant of this product."


def not_found(line: OrderLine) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "There is no such product.", line.id_field)


def with_variants(
    lines: Sequence[OrderLine], products: dict[ObjectId, Document], max_quantity: int
) -> list[OrderLine]:
    """Each line with its variant, merged per variant. Raises DomainError NOT_FOUND for a
    product that is gone or inactive, InvalidInput for the rest."""
    problems: list[Problem] = []
    resolved: list[OrderLine] = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None or not is_active(product):
            raise not_found(line)
        variant = chosen_variant(product, line.variant_id, line.id_field, "order")
        if isinstance(variant, Problem):
            problems.append(variant)
            continue
        resolved.append(
            OrderLine(line.product_id, variant.id, line.quantity, line.field, line.by_variant)
        )
    merged, too_many = merge_lines(resolved, max_quantity)
    reject_any(problems + too_many)
    return merged


def chosen_variant(
    product: Document, variant_id: ObjectId | None, id_field: str, verb: str
) -> StoredVariant | Problem:
    """The variant a line names, or the only one of a product it names; what is wrong
    otherwise (`verb`: what the line does with it, "order" or "add")."""
    variants = stored_variants(product)
    if variant_id is None and len(variants) > 1:
        message = (
            f"{product['name']} comes in {len(variants)} variants: {verb} one of them "
            "by its variantId."
        )
        return Problem(id_field, message)
    variant = variants[0] if variant_id is None else stored_variant(product, variant_id)
    if variant is None:
        return Problem(id_field, NO_SUCH_VARIANT, ErrorCode.NOT_FOUND)
    return variant


def variant_of(products: dict[ObjectId, Document], line: OrderLine) -> StoredVariant:
    """The variant of a line that `with_variants` returned."""
    variant = stored_variant(products[line.product_id], line.variant_id or line.product_id)
    assert variant is not None, "lines come from with_variants"
    return variant


def why_short(product: Document | None, lines: Sequence[OrderLine], order: Document) -> DomainError:
    """Why one product's lines (`product` as read after they failed) could not take their
    stock: too few units of a variant, or the product or variant was withdrawn."""
    if product is None or not is_active(product):
        return not_found(lines[0])
    for line in lines:
        variant = stored_variant(product, line.variant_id or line.product_id)
        if variant is None:
            return DomainError(ErrorCode.NOT_FOUND, NO_SUCH_VARIANT, line.id_field)
        if variant.stock < line.quantity:
            item = next(item for item in order["items"] if item["variantId"] == variant.id)
            name = item["name"]
            if item.get("variantTitle"):
                name = f"{name} ({item['variantTitle']})"
            return DomainError(
                ErrorCode.OUT_OF_STOCK,
                f"Only {max(variant.stock, 0)} of {name} ({item['sku']}) in stock; "
                f"you asked for {line.quantity}.",
                f"{line.field}.quantity",
            )
    return DomainError(
        ErrorCode.OUT_OF_STOCK,
        "The stock changed while the order was placed; place it again.",
        f"{lines[0].field}.quantity",
    )
