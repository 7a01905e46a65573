"""What an order may ask for: how many lines, how many units, which idempotency keys.

A line names a variant, or a product that has only one. The most units per line is a
setting (`max_line_quantity`), passed in by the order service.
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.errors import Problem, reject_any

MAX_LINES = 50
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class LineTarget:
    """What a line orders: a variant of a product, or (`variant_id` None) the product's only
    variant."""

    product_id: ObjectId
    variant_id: ObjectId | None = None


# A line as asked for: what it orders (or what was wrong with the ID given), the quantity.
RequestedLine = tuple[LineTarget | Problem, int]


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: ObjectId
    variant_id: ObjectId | None  # None until the product's only variant is looked up
    quantity: int
    field: str  # where the line came from in the input, for error messages
    by_variant: bool = False  # the input named the variant, not the product

    @property
    def id_field(self) -> str:
        return f"{self.field}.{'variantId' if self.by_variant else 'productId'}"


def order_lines(
    items: Sequence[RequestedLine], key: str | None, max_quantity: int
) -> list[OrderLine]:
    """One line per variant (or product), quantities of repeated ones added up (at most
    `max_quantity` together), sorted by product.
    Raises InvalidInput with every problem found, in input order."""
    if not 1 <= len(items) <= MAX_LINES:
        reject_any([Problem("input.items", f"An order has 1 to {MAX_LINES} lines.")])
    problems: list[Problem] = []
    lines: list[OrderLine] = []
    for index, (target, quantity) in enumerate(items):
        field = f"input.items.{index}"
        if isinstance(target, Problem):
            problems.append(target)
        elif not 1 <= quantity <= max_quantity:
            problems.append(
                Problem(f"{field}.quantity", f"Order 1 to {max_quantity} of each product.")
            )
        else:
            by_variant = target.variant_id is not None
            line = OrderLine(target.product_id, target.variant_id, quantity, field, by_variant)
            lines.append(line)
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        message = f"The idempotency key must be 1 to {MAX_KEY_LENGTH} characters."
        problems.append(Problem("input.idempotencyKey", message))
    merged, too_many = merge_lines(lines, max_quantity)
    reject_any(problems + too_many)
    return merged


def merge_lines(
    lines: Iterable[OrderLine], max_quantity: int
) -> tuple[list[OrderLine], list[Problem]]:
    """Lines of one variant (or product) added up into the first of them, sorted by
    product and variant, and the problems of those that come to more than `max_quantity`."""
    merged: dict[tuple[ObjectId, ObjectId | None], OrderLine] = {}
    for line in lines:
        target = (line.product_id, line.variant_id)
        first = merged.get(target)
        quantity = line.quantity + (first.quantity if first else 0)
        merged[target] = OrderLine(
            line.product_id,
            line.variant_id,
            quantity,
            first.field if first else line.field,
            first.by_variant if first else line.by_variant,
        )
    problems = [
        Problem(
            f"{line.field}.quantity",
            f"Order at most {max_quantity} of each product, all lines together.",
        )
        for line in merged.values()
        if line.quantity > max_quantity
    ]
    return sorted(merged.values(), key=line_order), problems


def line_order(line: OrderLine) -> tuple[str, str]:
    """Lines are placed by product, then variant: each product's lines take its stock in
    one update, and every order takes products in the same order."""
    return str(line.product_id), str(line.variant_id)


def cart_key(lines: Sequence[OrderLine]) -> str:
    """Identifies what was ordered, to tell a retry from a different cart under one key.
    A product's default variant (whose id is the product's) is written as the product, as
    before there were variants, so keys of orders placed then still match their retries."""
    canonical = ",".join(
        f"{line.product_id}:{line.quantity}"
        if line.variant_id in (None, line.product_id)
        else f"{line.product_id}/{line.variant_id}:{line.quantity}"
        for line in lines
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
