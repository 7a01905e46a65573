"""What an order may ask for: how many lines, how many units, which idempotency keys.

The most units per line is a setting (`max_line_quantity`), passed in by the order service.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.errors import Problem, reject_any

MAX_LINES = 50
MAX_KEY_LENGTH = 200


# A line as asked for: the product's id (or what was wrong with the one given), the quantity.
RequestedLine = tuple[ObjectId | Problem, int]


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: ObjectId
    quantity: int
    field: str  # where the line came from in the input, for error messages


def order_lines(
    items: Sequence[RequestedLine], key: str | None, max_quantity: int
) -> list[OrderLine]:
    """One line per product, quantities of repeated products added up (at most
    `max_quantity` together), sorted by product.
    Raises InvalidInput with every problem found, in input order."""
    if not 1 <= len(items) <= MAX_LINES:
        reject_any([Problem("input.items", f"An order has 1 to {MAX_LINES} lines.")])
    problems: list[Problem] = []
    quantities: dict[ObjectId, int] = {}
    first_field: dict[ObjectId, str] = {}
    for index, (product_id, quantity) in enumerate(items):
        field = f"input.items.{index}"
        if isinstance(product_id, Problem):
            problems.append(product_id)
        elif not 1 <= quantity <= max_quantity:
            problems.append(
                Problem(f"{field}.quantity", f"Order 1 to {max_quantity} of each product.")
            )
        else:
            quantities[product_id] = quantities.get(product_id, 0) + quantity
            first_field.setdefault(product_id, field)
    for product_id, quantity in quantities.items():
        if quantity > max_quantity:
            message = f"Order at most {max_quantity} of each product, all lines together."
            problems.append(Problem(f"{first_field[product_id]}.quantity", message))
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        message = f"The idempotency key must be 1 to {MAX_KEY_LENGTH} characters."
        problems.append(Problem("input.idempotencyKey", message))
    reject_any(problems)
    return [
        OrderLine(product_id, quantity, first_field[product_id])
        for product_id, quantity in sorted(quantities.items(), key=lambda pair: str(pair[0]))
    ]


def cart_key(lines: Sequence[OrderLine]) -> str:
    """Identifies what was ordered, to tell a retry from a different cart under one key."""
    canonical = ",".join(f"{line.product_id}:{line.quantity}" for line in lines)
    return hashlib.sha256(canonical.encode()).hexdigest()
