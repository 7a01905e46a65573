"""Limits on a document's depth and aliases, fragments included.

Measured here rather than by Strawberry's depth and alias limiters, which walk every
path of fragment spreads without remembering any: a few hundred tokens of fragments
that each spread the next twice took seconds, and a long chain of fragments exhausted
Python's recursion limit. Here each selection set is measured once, without recursion.

- Depth: a field's level is how many fields enclose it; an operation may hold fields
  down to `max_depth` levels below its root fields. Introspection fields (`__schema`,
  ...) are not followed: graphql-core limits their depth itself.
- Aliases: every aliased field counts, a fragment's once for each time it is spread.

Documents that spread an unknown fragment or whose fragments form a cycle are left to
graphql-core's own rules, which refuse them. An empty selection set (`{ }`, which
graphql-core still parses) is refused here, as the GraphQL grammar requires.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from shopgraph.schema.document_walk import Unmeasurable, post_order

EMPTY_SELECTION_SET = "A selection set must select at least one field."


def selection_sets(document: DocumentNode) -> Iterator[SelectionSetNode]:
    pending = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, ExecutableDefinitionNode)
    ]
    while pending:
        selection_set = pending.pop()
        yield selection_set
        for selection in selection_set.selections:
            if isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                pending.append(selection.selection_set)


def first_empty_selection_set(document: DocumentNode) -> SelectionSetNode | None:
    return next((s for s in selection_sets(document) if not s.selections), None)


@dataclass(frozen=True, slots=True)
class Measure:
    height: int  # levels of fields below the selection set's own
    aliases: int


class Measures:
    """Each selection set's measure, memoised: fragments are measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d.selection_set
            for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.known: dict[int, Measure] = {}  # by id(selection set)

    def _parts(
        self, selection_set: SelectionSetNode
    ) -> Iterator[tuple[SelectionSetNode, int | None]]:
        """The selection sets this one's measure depends on, with the levels each adds to
        its depth (None: not counted for depth)."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set:
                    introspection = selection.name.value.startswith("__")
                    yield selection.selection_set, None if introspection else 1
            elif isinstance(selection, InlineFragmentNode):
                yield selection.selection_set, 0
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise Unmeasurable
                yield fragment, 0

    def _measure(self, selection_set: SelectionSetNode) -> Measure:
        parts = [(self.known[id(part)], added) for part, added in self._parts(selection_set)]
        own_aliases = sum(
            1 for s in selection_set.selections if isinstance(s, FieldNode) and s.alias
        )
        return Measure(
            height=max((added + m.height for m, added in parts if added is not None), default=0),
            aliases=own_aliases + sum(m.aliases for m, _ in parts),
        )

    def of(self, root: SelectionSetNode) -> Measure:
        """Raises Unmeasurable."""
        return post_order(root, id, self._set_parts, self._measure, self.known)

    def _set_parts(self, selection_set: SelectionSetNode) -> Iterator[SelectionSetNode]:
        return (part for part, _ in self._parts(selection_set))


def operations(document: DocumentNode) -> Iterator[OperationDefinitionNode]:
    return (d for d in document.definitions if isinstance(d, OperationDefinitionNode))


def name_of(operation: OperationDefinitionNode) -> str:
    return operation.name.value if operation.name else "anonymous"


def limits_rule(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    class DocumentLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            empty = first_empty_selection_set(document)
            if empty is not None:
                context.report_error(GraphQLError(EMPTY_SELECTION_SET, empty))
                return
            measures = Measures(document)
            try:
                measured = [(op, measures.of(op.selection_set)) for op in operations(document)]
            except Unmeasurable:
                return
            for operation, measure in measured:
                if measure.height > max_depth:
                    message = (
                        f"'{name_of(operation)}' exceeds maximum operation depth of {max_depth}"
                    )
                    context.report_error(GraphQLError(message, operation))
            aliases = sum(measure.aliases for _, measure in measured)
            if aliases > max_aliases:
                context.report_error(
                    GraphQLError(f"{aliases} aliases found. Allowed: {max_aliases}")
                )

    return DocumentLimits
