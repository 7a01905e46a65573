"""The query depth limit, for documents it can measure.

Strawberry's depth limiter fails with an internal error on two kinds of document that
graphql-core lets through to it: one with an empty selection set (`{ }`, which
graphql-core still parses), refused here as the GraphQL grammar requires; and one that
spreads an undefined fragment, which graphql-core's own rules refuse, so the limiter
is simply not run on it.
"""

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions.query_depth_limiter import create_validator


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


def spreads_unknown_fragments(document: DocumentNode) -> bool:
    defined = {d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return any(
        isinstance(selection, FragmentSpreadNode) and selection.name.value not in defined
        for selection_set in selection_sets(document)
        for selection in selection_set.selections
    )


def max_depth_rule(max_depth: int) -> type[ValidationRule]:
    depth_limiter = create_validator(max_depth=max_depth, should_ignore=None)

    class MaxDepth(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            empty = first_empty_selection_set(context.document)
            if empty is not None:
                context.report_error(
                    GraphQLError("A selection set must select at least one field.", empty)
                )
            elif not spreads_unknown_fragments(context.document):
                depth_limiter(context)  # checks the whole document as it is built

    return MaxDepth
