"""Which GraphQL documents the response cache may answer: queries whose every root field
is a catalog read, and that select nothing stored outside `products`.

`product` and `products` read only the `products` collection (and settings fixed for the
process's life, such as the currency); anonymous callers see active products only.
`node`/`nodes` are left out: they refetch orders, users and carts too. `Product.images`
and `ProductVariant.image` read `product_images` and `variant_images`, whose writes the
products change stream does not see, so a document selecting a field of either name,
anywhere, is not cached.
"""

from collections.abc import Iterator
from functools import lru_cache

from graphql import GraphQLError, parse
from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from shopgraph.schema.document_walk import every_selection

CATALOG_ROOT_FIELDS = frozenset({"product", "products", "__typename"})
# Fields that read collections other than `products`.
UNSEEN_FIELDS = frozenset({"images", "image"})
# Documents up to this size have their verdict remembered (bounded memory: 256 of them).
REMEMBERED_LENGTH = 8192
MAX_TOKENS = 10_000


def catalog_query(query: object, operation_name: object) -> bool:
    """Whether the operation a request names is a cacheable catalog query; False for
    anything that is not a well-formed request."""
    if not isinstance(query, str):
        return False
    if operation_name is not None and not isinstance(operation_name, str):
        return False
    if len(query) <= REMEMBERED_LENGTH:
        return _remembered(query, operation_name)
    return _catalog_query(query, operation_name)


@lru_cache(maxsize=256)
def _remembered(query: str, operation_name: str | None) -> bool:
    return _catalog_query(query, operation_name)


def _catalog_query(query: str, operation_name: str | None) -> bool:
    try:
        document = parse(query, no_location=True, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return False
    operation = _chosen(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return False
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    roots = list(_fields(operation.selection_set, fragments))
    if not roots or any(field.name.value not in CATALOG_ROOT_FIELDS for field in roots):
        return False
    return not any(name in UNSEEN_FIELDS for name in _every_field_name(document))


def _chosen(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    named = [o for o in operations if o.name is not None and o.name.value == name]
    return named[0] if len(named) == 1 else None


def _fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """The fields of one level, through inline fragments and fragment spreads."""
    pending, seen = [selection_set], set[str]()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)


def _every_field_name(document: DocumentNode) -> Iterator[str]:
    definitions = (
        definition
        for definition in document.definitions
        if isinstance(definition, (OperationDefinitionNode, FragmentDefinitionNode))
    )
    for selection in every_selection(definition.selection_set for definition in definitions):
        if isinstance(selection, FieldNode):
            yield selection.name.value
