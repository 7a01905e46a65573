"""At most one password-checking mutation field per document.

Each of these fields costs an argon2 hash (tens of milliseconds and megabytes of memory).
With aliases, one request could ask for dozens and fill every hashing slot, or spread
guesses over many emails at the price of one request. Refused while validating, before
anything runs. Fields are matched by name on the Mutation type, so one added later under
a listed name is covered when it lands.

Fields are counted at the root of every mutation operation, through inline fragments and
fragment spreads (a fragment's fields once for each time it is spread). Unknown fragments
and fragment cycles are left to graphql-core's own rules, which refuse them.
"""

import contextlib

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

from shopgraph.schema.document_limits import operations
from shopgraph.schema.document_walk import Unmeasurable, post_order
from shopgraph.schema.errors import RequestErrorCode

PASSWORD_FIELDS = ("login", "register", "changePassword", "resetPassword")
MAX_PASSWORD_FIELDS = 1
TOO_MANY = (
    "A document may hold at most one of the fields login, register, changePassword and "
    "resetPassword (aliases included); found {count}. Send them in separate requests."
)


def _parts(
    selection_set: SelectionSetNode, fragments: dict[str, SelectionSetNode]
) -> list[SelectionSetNode]:
    """The fragments' selection sets whose fields sit at the same level as this one's."""
    parts = []
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            parts.append(selection.selection_set)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                parts.append(fragment)
    return parts


def _own_count(selection_set: SelectionSetNode) -> int:
    return sum(
        1
        for selection in selection_set.selections
        if isinstance(selection, FieldNode) and selection.name.value in PASSWORD_FIELDS
    )


def password_field_count(document: DocumentNode) -> int:
    """Password fields at the roots of the document's mutations; each selection set is
    counted once, however often fragments spread it."""
    fragments = {
        d.name.value: d.selection_set
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    counts: dict[int, int] = {}  # by id(selection set)

    def parts(selection_set: SelectionSetNode) -> list[SelectionSetNode]:
        return _parts(selection_set, fragments)

    def count(selection_set: SelectionSetNode) -> int:
        return _own_count(selection_set) + sum(counts[id(part)] for part in parts(selection_set))

    total = 0
    for operation in operations(document):
        if operation.operation is OperationType.MUTATION:
            with contextlib.suppress(Unmeasurable):  # a fragment cycle: graphql-core refuses it
                total += post_order(operation.selection_set, id, parts, count, counts)
    return total


class OnePasswordField(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        count = password_field_count(context.document)
        if count > MAX_PASSWORD_FIELDS:
            context.report_error(
                GraphQLError(
                    TOO_MANY.format(count=count),
                    extensions={"code": RequestErrorCode.BAD_USER_INPUT},
                )
            )
