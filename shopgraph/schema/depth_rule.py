"""The query depth limit, for documents it can measure.

graphql-core still parses empty selection sets (`{ }`), and Strawberry's depth limiter
fails on them with an internal error. A document with one is refused here, as the
GraphQL grammar requires, and the depth limiter sees only the others.
"""

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions.query_depth_limiter import create_validator


def first_empty_selection_set(document: DocumentNode) -> SelectionSetNode | None:
    pending = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, ExecutableDefinitionNode)
    ]
    while pending:
        selection_set = pending.pop()
        if not selection_set.selections:
            return selection_set
        for selection in selection_set.selections:
            if isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                pending.append(selection.selection_set)
    return None


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
            else:
                depth_limiter(context)  # checks the whole document as it is built

    return MaxDepth
