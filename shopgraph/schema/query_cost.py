"""What an operation may cost, counted from its document and variables before it runs.

The cost is an upper bound on the work and the size of the answer (README, "Query cost"):

- A scalar or enum field costs 0, and so does a field of `SCALAR_PAIRS` (a variant's
  selected options, a product's options: a few strings each); an object field 1, a
  field resolved by a database read (`DATABASE_FIELDS`, and every root field of Query
  and Subscription) 2, a root field of Mutation 10. `__typename` costs 0;
  `__schema`/`__type` cost 1 and are not followed (the answer comes from memory, and
  graphql-core limits how deep introspection may go).
- A list field costs its length times its own cost plus its selection's. The `edges` of a
  connection are as long as the page: `first` or `last` (a literal or a variable),
  `settings.default_page_size` when neither is given, never more than
  `settings.max_page_size` (asking for more is refused before any item is read). Other
  lists of objects are as long as their bound in `LIST_BOUNDS`; a list missing there
  counts as a full page. Lists of scalars cost 0 whatever their length.
- Fragments, named or inline, count where they are spread; aliased copies of a field count
  once each. On an interface or a union the most expensive possible type counts.
  `@skip`/`@include` are not applied: everything counts as included.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_variable_values,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_object_type,
)

from shopgraph.catalog.images import MAX_IMAGES
from shopgraph.catalog.variant_rules import MAX_OPTIONS, MAX_VARIANTS
from shopgraph.checkout.address_book import MAX_SAVED_ADDRESSES
from shopgraph.checkout.cart_lines import MAX_CART_LINES
from shopgraph.checkout.order_lines import MAX_LINES
from shopgraph.checkout.shipping_methods import MAX_SHIPPING_METHODS
from shopgraph.checkout.tax_rates import MAX_TAX_RATES
from shopgraph.schema.document_limits import operations
from shopgraph.schema.document_walk import Unmeasurable, post_order
from shopgraph.settings import Settings

OBJECT = 1
READ = 2
WRITE = 10
INTROSPECTION = 1
PAGE_ARGUMENTS = ("first", "last")

# Fields below the root that read the database ("*" : of any type). Their documents come
# through DataLoaders, one query per page rather than per item, but every item still costs
# resolving and sending.
DATABASE_FIELDS = frozenset(
    {
        "Order.user",
        "OrderItem.product",
        "OrderItem.variant",
        "Product.images",
        "ProductVariant.image",
        "ProductVariant.product",
        "User.orders",
        "User.addresses",
        "DiscountCode.timesUsed",
        "*.totalCount",
    }
)

# Objects made only of a few strings, read from their parent's document: they cost what
# scalars cost, so a page of products with every variant's options stays affordable.
SCALAR_PAIRS = frozenset({"SelectedOption", "ProductOption"})

# How long lists of objects that take no page size can be.
LIST_BOUNDS: Mapping[str, int] = {
    "Order.items": MAX_LINES,  # an order has at most MAX_LINES lines
    "Product.variants": MAX_VARIANTS,
    "Product.options": MAX_OPTIONS,
    "Product.images": MAX_IMAGES,
    "ProductVariant.selectedOptions": MAX_OPTIONS,
    "User.addresses": MAX_SAVED_ADDRESSES,
    "*.userErrors": MAX_LINES,  # at most one per order line; other inputs have fewer fields
    "Query.shippingMethods": MAX_SHIPPING_METHODS,
    "Cart.lines": MAX_CART_LINES,
    "Cart.availableShippingMethods": MAX_SHIPPING_METHODS,
    # Stock and price for each line, the shipping method and the code for the cart.
    "Cart.problems": 2 * MAX_CART_LINES + 2,
    "Order.discounts": 1,  # one code per cart
    "Query.taxRates": MAX_TAX_RATES,
}


@dataclass(frozen=True, slots=True)
class CostLimits:
    max_cost: int = 10_000
    default_page_size: int = 20
    max_page_size: int = 100

    @classmethod
    def of(cls, settings: Settings) -> "CostLimits":
        """The process's limits, as its schema and its shared subscriptions price them."""
        return cls(settings.max_query_cost, settings.default_page_size, settings.max_page_size)


def _coordinate(table: Mapping[str, int] | frozenset[str], type_name: str, field: str) -> str:
    exact = f"{type_name}.{field}"
    return exact if exact in table else f"*.{field}"


# A selection set as seen from one concrete type, with the page size that the `edges` of a
# connection get there (None outside a connection's own selection).
Node = tuple[SelectionSetNode, GraphQLObjectType, int | None]


class QueryCost:
    """The cost of one operation of a validated document. Each selection set is priced once
    per type and page size, without recursion, so fragments spread many times or chained
    deeply cost no more to price than to read."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, object] | None,
        limits: CostLimits,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        coerced = get_variable_values(
            schema, operation.variable_definitions or (), dict(variables or {}), max_errors=1
        )
        # Variables that do not coerce fail the operation before it runs; until then a page
        # size given by a variable counts as the largest.
        self.variables: dict[str, object] | None = (
            None if isinstance(coerced, list) else coerced.coerced
        )
        self.known: dict[tuple[int, str, int | None], int] = {}

    def total(self) -> int:
        """Raises Unmeasurable for documents that validation refuses."""
        root = self.schema.get_root_type(self.operation.operation)
        if root is None:
            raise Unmeasurable
        return self._cost_of((self.operation.selection_set, root, None))

    # --- page sizes ---------------------------------------------------------------------

    def _int_argument(self, field: FieldNode, name: str) -> int | None:
        """The argument's value; None when absent or null (the default page size applies)."""
        value: ValueNode | None = next(
            (a.value for a in field.arguments or () if a.name.value == name), None
        )
        if value is None or isinstance(value, NullValueNode):
            return None
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            if self.variables is None:
                return self.limits.max_page_size
            given = self.variables.get(value.name.value)
            if given is None or type(given) is int:
                return given
        return self.limits.max_page_size

    def _page_size(self, field: FieldNode, definition: GraphQLField) -> int | None:
        if not any(name in definition.args for name in PAGE_ARGUMENTS):
            return None
        given = [
            size
            for name in PAGE_ARGUMENTS
            if name in definition.args and (size := self._int_argument(field, name)) is not None
        ]
        size = max(given) if given else self.limits.default_page_size
        return min(max(size, 0), self.limits.max_page_size)

    # --- types ----------------------------------------------------------------------------

    def _possible_types(self, definition: GraphQLField) -> list[GraphQLObjectType]:
        named = get_named_type(definition.type)
        if is_object_type(named):
            return [named]  # type: ignore[list-item]
        if is_abstract_type(named):
            return list(self.schema.get_possible_types(named))  # type: ignore[arg-type]
        return []

    def _applies(self, condition: NamedTypeNode | None, type_: GraphQLObjectType) -> bool:
        if condition is None or condition.name.value == type_.name:
            return True
        named = self.schema.get_type(condition.name.value)
        return is_abstract_type(named) and self.schema.is_sub_type(named, type_)  # type: ignore[arg-type]

    def _fragment(self, spread: FragmentSpreadNode) -> FragmentDefinitionNode:
        fragment = self.fragments.get(spread.name.value)
        if fragment is None:
            raise Unmeasurable
        return fragment

    # --- costs ----------------------------------------------------------------------------

    def _own_cost(self, type_: GraphQLObjectType, name: str, definition: GraphQLField) -> int:
        if type_ is self.schema.mutation_type:
            return WRITE
        if type_ in (self.schema.query_type, self.schema.subscription_type):
            return READ
        if _coordinate(DATABASE_FIELDS, type_.name, name) in DATABASE_FIELDS:
            return READ
        named = get_named_type(definition.type)
        return 0 if is_leaf_type(named) or named.name in SCALAR_PAIRS else OBJECT

    def _list_length(self, type_: GraphQLObjectType, name: str, page: int | None) -> int:
        if page is not None:
            return page
        return LIST_BOUNDS.get(
            _coordinate(LIST_BOUNDS, type_.name, name), self.limits.max_page_size
        )

    def _field_cost(self, field: FieldNode, type_: GraphQLObjectType, page: int | None) -> int:
        name = field.name.value
        if name.startswith("__"):
            return 0 if name == "__typename" else INTROSPECTION
        definition = type_.fields.get(name)
        if definition is None:
            raise Unmeasurable
        cost = self._own_cost(type_, name, definition)
        if field.selection_set is not None:
            size = self._page_size(field, definition)
            cost += max(
                (
                    self.known[id(field.selection_set), possible.name, size]
                    for possible in self._possible_types(definition)
                ),
                default=0,
            )
        if is_list_type(get_nullable_type(definition.type)):  # type: ignore[arg-type]
            cost *= self._list_length(type_, name, page)
        return cost

    def _parts(self, node: Node) -> Iterator[Node]:
        """The selection sets whose costs this one's is made of."""
        selection_set, type_, page = node
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                definition = type_.fields.get(selection.name.value)
                if definition is None or selection.selection_set is None:
                    continue
                size = self._page_size(selection, definition)
                for possible in self._possible_types(definition):
                    yield selection.selection_set, possible, size
            elif isinstance(selection, InlineFragmentNode):
                if self._applies(selection.type_condition, type_):
                    yield selection.selection_set, type_, page
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragment(selection)
                if self._applies(fragment.type_condition, type_):
                    yield fragment.selection_set, type_, page

    def _combine(self, node: Node) -> int:
        selection_set, type_, page = node
        cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost += self._field_cost(selection, type_, page)
                continue
            if isinstance(selection, InlineFragmentNode):
                part, condition = selection.selection_set, selection.type_condition
            else:
                fragment = self._fragment(selection)  # type: ignore[arg-type]
                part, condition = fragment.selection_set, fragment.type_condition
            if self._applies(condition, type_):
                cost += self.known[id(part), type_.name, page]
        return cost

    def _cost_of(self, root: Node) -> int:
        return post_order(root, _node_key, self._parts, self._combine, self.known)


def _node_key(node: Node) -> tuple[int, str, int | None]:
    return id(node[0]), node[1].name, node[2]


def operation_named(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the one named, or the only one."""
    candidates = list(operations(document))
    if name is None:
        return candidates[0] if len(candidates) == 1 else None
    return next((o for o in candidates if o.name and o.name.value == name), None)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, object] | None,
    limits: CostLimits,
) -> int | None:
    """None when the document cannot be priced: validation or execution refuses it."""
    operation = operation_named(document, operation_name)
    if operation is None:
        return None
    try:
        return QueryCost(schema, document, operation, variables, limits).total()
    except Unmeasurable:
        return None


__all__ = ["DATABASE_FIELDS", "LIST_BOUNDS", "CostLimits", "operation_cost"]
