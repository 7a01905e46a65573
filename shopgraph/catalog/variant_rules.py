"""What valid options and variants are, and the stored form of a product's variant list.

A product has at most `MAX_OPTIONS` options (Size, Colour) and `MAX_VARIANTS` variants.
Each variant picks exactly one value of every option, no two variants pick the same
combination, and a product without options has exactly one variant.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from bson import ObjectId

from shopgraph.catalog.product_rules import MAX_STOCK, check_price, check_sku
from shopgraph.datasources.product_variants import StoredVariant
from shopgraph.documents import Document
from shopgraph.errors import Problem, reject_any

MAX_OPTIONS = 3
MAX_VARIANTS = 100
MAX_OPTION_VALUES = 100
MAX_OPTION_TEXT = 50


@dataclass(frozen=True, slots=True)
class OptionSpec:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """A variant as an admin gives it; None: not given (keep, or the default)."""

    sku: str | None = None
    price: Decimal | None = None
    stock: int | None = None
    selected_options: tuple[tuple[str, str], ...] | None = None


def _text(value: str, what: str) -> str:
    text = value.strip()
    if not 1 <= len(text) <= MAX_OPTION_TEXT:
        raise ValueError(f"{what} must be 1 to {MAX_OPTION_TEXT} characters long.")
    return text


def checked_options(options: Sequence[OptionSpec], field: str) -> list[OptionSpec]:
    """The options, trimmed; raises InvalidInput."""
    problems: list[Problem] = []
    if len(options) > MAX_OPTIONS:
        problems.append(Problem(field, f"A product has at most {MAX_OPTIONS} options."))
    checked: list[OptionSpec] = []
    names: set[str] = set()
    for index, option in enumerate(options):
        at = f"{field}.{index}"
        try:
            name = _text(option.name, "An option name")
            values = tuple(_text(value, "An option value") for value in option.values)
        except ValueError as error:
            problems.append(Problem(at, str(error)))
            continue
        if name.casefold() in names:
            problems.append(Problem(f"{at}.name", f"The option {name!r} is listed twice."))
        names.add(name.casefold())
        if not 1 <= len(values) <= MAX_OPTION_VALUES:
            message = f"An option has 1 to {MAX_OPTION_VALUES} values."
            problems.append(Problem(f"{at}.values", message))
        elif len({value.casefold() for value in values}) != len(values):
            problems.append(Problem(f"{at}.values", f"The option {name!r} lists a value twice."))
        checked.append(OptionSpec(name, values))
    reject_any(problems)
    return checked


def options_document(options: Sequence[OptionSpec]) -> list[Document]:
    return [{"name": option.name, "values": list(option.values)} for option in options]


def stored_options(product: Document) -> list[OptionSpec]:
    return [
        OptionSpec(option["name"], tuple(option["values"]))
        for option in product.get("options") or ()
    ]


def selection_problem(
    selected: Sequence[tuple[str, str]], options: Sequence[OptionSpec]
) -> str | None:
    """Why a variant's selected options do not fit the product's options, if they don't."""
    by_name = {name: value for name, value in selected}
    if len(by_name) != len(selected):
        return "An option is selected twice."
    names = [option.name for option in options]
    if set(by_name) != set(names):
        expected = ", ".join(names) or "none (the product has no options)"
        return f"Select exactly one value of each option: {expected}."
    for option in options:
        if by_name[option.name] not in option.values:
            allowed = ", ".join(option.values)
            return f"{by_name[option.name]!r} is not a {option.name} of this product ({allowed})."
    return None


def in_option_order(
    selected: Sequence[tuple[str, str]], options: Sequence[OptionSpec]
) -> tuple[tuple[str, str], ...]:
    by_name = dict(selected)
    return tuple((option.name, by_name[option.name]) for option in options)


def variant_list_problems(
    variants: Sequence[StoredVariant], options: Sequence[OptionSpec], field: str
) -> list[Problem]:
    """What is wrong with a product's whole variant list: how many, repeated combinations
    or SKUs, selections that do not fit the options."""
    problems: list[Problem] = []
    if not 1 <= len(variants) <= MAX_VARIANTS:
        problems.append(Problem(field, f"A product has 1 to {MAX_VARIANTS} variants."))
    if not options and len(variants) > 1:
        problems.append(Problem(field, "A product without options has exactly one variant."))
    seen_selections: dict[tuple[tuple[str, str], ...], int] = {}
    seen_skus: dict[str, int] = {}
    for index, variant in enumerate(variants):
        problem = selection_problem(variant.selected_options, options)
        if problem is not None:
            problems.append(Problem(f"{field}.{index}.selectedOptions", problem))
            continue
        if variant.selected_options in seen_selections:
            message = (
                f"Variant {seen_selections[variant.selected_options] + 1} already has the "
                f"options {variant.title}."
            )
            problems.append(Problem(f"{field}.{index}.selectedOptions", message))
        seen_selections.setdefault(variant.selected_options, index)
        if variant.sku in seen_skus:
            message = f"Variant {seen_skus[variant.sku] + 1} has the SKU {variant.sku!r}."
            problems.append(Problem(f"{field}.{index}.sku", message))
        seen_skus.setdefault(variant.sku, index)
    return problems


def new_variant(
    spec: VariantSpec, options: Sequence[OptionSpec], currency: str, field: str
) -> StoredVariant:
    """A variant from a complete spec (SKU, price and options given); raises InvalidInput."""
    problems: list[Problem] = []
    sku, price, stock = "", 0, spec.stock or 0
    try:
        sku = check_sku(spec.sku or "")
    except ValueError as error:
        problems.append(Problem(f"{field}.sku", str(error)))
    try:
        if spec.price is None:
            raise ValueError("Give the variant's price.")
        price = check_price(spec.price, currency)
    except ValueError as error:
        problems.append(Problem(f"{field}.price", str(error)))
    if not 0 <= stock <= MAX_STOCK:
        problems.append(Problem(f"{field}.stock", f"The stock must be between 0 and {MAX_STOCK}."))
    selected = tuple((name.strip(), value.strip()) for name, value in spec.selected_options or ())
    problem = selection_problem(selected, options)
    if problem is not None:
        problems.append(Problem(f"{field}.selectedOptions", problem))
    reject_any(problems)
    return StoredVariant(ObjectId(), sku, price, in_option_order(selected, options), stock)


def variants_document(variants: Sequence[StoredVariant]) -> list[Document]:
    """The `variants` array as stored (stock is kept outside it)."""
    return [
        {
            "_id": variant.id,
            "sku": variant.sku,
            "price": variant.price,
            "selectedOptions": [
                {"name": name, "value": value} for name, value in variant.selected_options
            ],
        }
        for variant in variants
    ]


def reselected(
    variants: Sequence[StoredVariant], options: Sequence[OptionSpec]
) -> list[StoredVariant]:
    """The variants under new options: each keeps its value of every option it had, and
    takes the first value of an option that is new; values of removed options go."""
    listed = []
    for variant in variants:
        by_name = dict(variant.selected_options)
        selected = tuple(
            (option.name, by_name.get(option.name, option.values[0])) for option in options
        )
        listed.append(replace(variant, selected_options=selected))
    return listed
