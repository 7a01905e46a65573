"""Which document fields a query selects, so MongoDB returns only those."""

from collections.abc import Iterable, Mapping, Sequence

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from shopgraph.resolvers.context import Info


def _fields_at(selections: Iterable[Selection], path: Sequence[str]) -> list[SelectedField]:
    """The fields selected at `path` below `selections`, looking through fragments."""
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, (FragmentSpread, InlineFragment)):
            found += _fields_at(selection.selections, path)
        elif not path:
            found.append(selection)
        elif selection.name == path[0]:
            found += _fields_at(selection.selections, path[1:])
    return found


def document_fields(
    info: Info, path: Sequence[str], field_map: Mapping[str, tuple[str, ...]]
) -> frozenset[str] | None:
    """Document fields behind the GraphQL fields selected at `path` below the current field.

    `@skip`/`@include` are not applied, so a skipped field is still fetched: harmless.
    A field missing from `field_map` means "fetch everything" (None), never a missing value.
    """
    wanted: set[str] = set()
    for field in _fields_at(info.selected_fields[0].selections, path):
        mapped = field_map.get(field.name)
        if mapped is None:
            return None
        wanted.update(mapped)
    return frozenset(wanted)


def selected_names(info: Info, path: Sequence[str]) -> set[str]:
    """Names of the fields selected at `path` below the current field."""
    return {field.name for field in _fields_at(info.selected_fields[0].selections, path)}
