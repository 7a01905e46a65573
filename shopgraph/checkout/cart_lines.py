"""What a cart's lines may be: which variant each takes, how many, and how many lines.

A line names a variant, or a product that has only one. Lines of one variant are one
line. A line keeps the unit price the shopper last saw when they added or changed it, so
the cart can say when today's price differs.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.checkout.line_variants import chosen_variant
from shopgraph.checkout.order_lines import MAX_LINES, LineTarget, RequestedLine
from shopgraph.datasources.products import is_active
from shopgraph.documents import Document
from shopgraph.errors import ErrorCode, Problem, reject_any

# As many as an order may have, so any open cart can be checked out.
MAX_CART_LINES = MAX_LINES


@dataclass(frozen=True, slots=True)
class CartLimits:
    max_lines: int  # distinct variants in one cart
    max_quantity: int  # units of one variant


def line_problems(lines: Sequence[RequestedLine], field: str, limits: CartLimits) -> list[Problem]:
    """Problems of the lines as given, before anything is read."""
    problems: list[Problem] = []
    if not 1 <= len(lines) <= limits.max_lines:
        problems.append(Problem(field, f"Give 1 to {limits.max_lines} lines."))
        return problems
    for index, (target, quantity) in enumerate(lines):
        if isinstance(target, Problem):
            problems.append(target)
        elif not 1 <= quantity <= limits.max_quantity:
            message = f"Add 1 to {limits.max_quantity} of each variant."
            problems.append(Problem(f"{field}.{index}.quantity", message))
    return problems


def resolved(
    lines: Sequence[RequestedLine], products: dict[ObjectId, Document], field: str
) -> list[tuple[ObjectId, ObjectId, int, int]]:
    """(product, variant, quantity, today's unit price) of each line, in input order.
    Raises InvalidInput naming each line that takes no variant one could buy."""
    problems: list[Problem] = []
    found: list[tuple[ObjectId, ObjectId, int, int]] = []
    for index, (target, quantity) in enumerate(lines):
        assert isinstance(target, LineTarget), "checked by line_problems()"
        by_variant = target.variant_id is not None
        id_field = f"{field}.{index}.{'variantId' if by_variant else 'productId'}"
        product = products.get(target.product_id)
        if product is None or not is_active(product):
            problems.append(Problem(id_field, "There is no such product.", ErrorCode.NOT_FOUND))
            continue
        variant = chosen_variant(product, target.variant_id, id_field, "add")
        if isinstance(variant, Problem):
            problems.append(variant)
            continue
        found.append((product["_id"], variant.id, quantity, variant.price))
    reject_any(problems)
    return found


def with_added(
    current: Sequence[Document],
    added: Sequence[tuple[ObjectId, ObjectId, int, int]],
    limits: CartLimits,
    field: str,
) -> list[Document]:
    """The cart's lines with `added` merged in: more of a variant already there adds to its
    line (and the shopper has now seen today's price). Raises InvalidInput when a line
    would hold too many units or the cart too many lines."""
    lines = [dict(line) for line in current]
    by_variant = {(line["productId"], line["variantId"]): line for line in lines}
    problems: list[Problem] = []
    for index, (product_id, variant_id, quantity, price) in enumerate(added):
        line = by_variant.get((product_id, variant_id))
        if line is None:
            line = {
                "_id": ObjectId(),
                "productId": product_id,
                "variantId": variant_id,
                "quantity": 0,
            }
            lines.append(line)
            by_variant[product_id, variant_id] = line
        line["quantity"] += quantity
        line["seenPrice"] = price
        if line["quantity"] > limits.max_quantity:
            message = (
                f"A cart holds at most {limits.max_quantity} of each variant, "
                f"and this line would hold {line['quantity']}."
            )
            problems.append(Problem(f"{field}.{index}.quantity", message))
    if len(lines) > limits.max_lines:
        message = f"A cart holds at most {limits.max_lines} lines; remove some first."
        problems.append(Problem(field, message))
    reject_any(problems)
    return lines


def merged(
    into: Sequence[Document], other: Sequence[Document], limits: CartLimits
) -> list[Document]:
    """A guest's lines added to a customer's: quantities of one variant add up to at most
    the limit, and lines past the cart's limit are left out, since nobody asked for them
    in this request and refusing would lose the guest's whole cart."""
    lines = [dict(line) for line in into]
    by_variant = {(line["productId"], line["variantId"]): line for line in lines}
    for line in other:
        mine = by_variant.get((line["productId"], line["variantId"]))
        if mine is not None:
            mine["quantity"] = min(mine["quantity"] + line["quantity"], limits.max_quantity)
        elif len(lines) < limits.max_lines:
            lines.append(dict(line))
            by_variant[line["productId"], line["variantId"]] = lines[-1]
    return lines


def with_quantities(
    current: Sequence[Document],
    changes: Sequence[tuple[ObjectId | Problem, int]],
    prices: dict[ObjectId, int],
    limits: CartLimits,
    field: str,
) -> list[Document]:
    """The lines with new quantities (0 removes a line); `prices` are today's unit prices
    of the lines' variants, which the shopper sees as they change the line. Raises
    InvalidInput naming unknown lines and bad quantities."""
    lines = {line["_id"]: dict(line) for line in current}
    problems: list[Problem] = []
    for index, (line_id, quantity) in enumerate(changes):
        if isinstance(line_id, Problem):
            problems.append(line_id)
        elif line_id not in lines:
            message = "There is no such line in this cart."
            problems.append(Problem(f"{field}.{index}.id", message, ErrorCode.NOT_FOUND))
        elif not 0 <= quantity <= limits.max_quantity:
            message = f"Give 0 (to remove the line) to {limits.max_quantity}."
            problems.append(Problem(f"{field}.{index}.quantity", message))
        else:
            line = lines[line_id]
            line["quantity"] = quantity
            if line["variantId"] in prices:
                line["seenPrice"] = prices[line["variantId"]]
    reject_any(problems)
    return [line for line in lines.values() if line["quantity"] > 0]
