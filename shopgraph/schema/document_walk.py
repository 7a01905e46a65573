"""Measuring a document bottom-up without recursion, for the limits checked before it runs.

A hostile document can nest selections and fragment spreads as deep as its size allows;
walking it with an explicit stack keeps Python's recursion limit out of reach, and keeping
each node's value means a fragment spread many times is measured once.
"""

from collections.abc import Callable, Hashable, Iterable, Iterator, MutableMapping
from typing import TypeVar

from graphql import SelectionNode, SelectionSetNode

Node = TypeVar("Node")
Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class Unmeasurable(Exception):
    """An unknown fragment or a fragment cycle: graphql-core's validation reports those."""


def post_order(
    root: Node,
    key: Callable[[Node], Key],
    parts: Callable[[Node], Iterable[Node]],
    combine: Callable[[Node], Value],
    known: MutableMapping[Key, Value],
) -> Value:
    """`root`'s value: `combine(node)` runs once every part's value is in `known`, under
    its key. Raises Unmeasurable on a cycle (a fragment that spreads itself, however
    indirectly)."""
    on_path: set[Key] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, parts_done = stack.pop()
        node_key = key(node)
        if parts_done:
            known[node_key] = combine(node)
            on_path.discard(node_key)
            continue
        if node_key in known:
            continue
        if node_key in on_path:
            raise Unmeasurable
        on_path.add(node_key)
        stack.append((node, True))
        stack.extend((part, False) for part in parts(node))
    return known[key(root)]


def every_selection(selection_sets: Iterable[SelectionSetNode | None]) -> Iterator[SelectionNode]:
    """Every selection in these sets and in those below them, with an explicit stack.
    Fragment spreads are not followed: give the fragments' own sets too."""
    pending = [selection_set for selection_set in selection_sets if selection_set is not None]
    while pending:
        for selection in pending.pop().selections:
            yield selection
            inner = getattr(selection, "selection_set", None)
            if inner is not None:
                pending.append(inner)
