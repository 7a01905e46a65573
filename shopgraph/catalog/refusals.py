"""How the catalog refuses: what is missing, what moved meanwhile, what needs a variant."""

from collections.abc import Mapping

from shopgraph.datasources.product_variants import stored_variants
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem


def not_found(field: str, what: str = "product") -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"There is no such {what}.", field)


def stock_changed(expected: int, current: int | None, field: str) -> DomainError:
    message = (
        f"The stock changed meanwhile: it is {current or 0} now, not {expected}. Nothing was "
        "updated; send the update again with the stock you see now, or use adjustStock."
    )
    return DomainError(ErrorCode.STOCK_CHANGED, message, field)


def one_variant_only(product: Document, field: str, what: str) -> Problem:
    count = len(stored_variants(product))
    message = f"This product has {count} variants: {what}."
    return Problem(field, message)


def expected_stock_problems(given: Mapping[str, object], prefix: str) -> list[Problem]:
    """A new stock needs the one it replaces: without it, an order's decrement made since
    the admin looked would be overwritten, and a cancellation later returns units on top."""
    if given.get("stock") is not None and given.get("expected_stock") is None:
        message = (
            "Setting stock needs expectedStock, the stock you saw; to add or remove units, "
            "use adjustStock instead."
        )
        return [Problem(f"{prefix}.expectedStock", message)]
    if "expected_stock" in given and given.get("stock") is None:
        return [Problem(f"{prefix}.expectedStock", "expectedStock goes with stock.")]
    return []
