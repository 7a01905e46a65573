"""Every example in the README and under docs/ that shows a query with its answer still
answers as shown, against the demo catalog: the same fields and shapes, and the same
values, except where the page cuts a value short with "..." (IDs, cursors), which must
then begin as shown."""

import json
import re
import textwrap
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse

from shopgraph.server.demo_catalog import demo_products
from tests.conftest import PROJECT_ROOT

CODE_BLOCK = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.S | re.M)
CURL_QUERY = re.compile(r'"query":\s*"((?:[^"\\]|\\.)*)"')
PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").rglob("*.md"))]


def _operation(language: str, code: str) -> str | None:
    """The query a block shows: a ```graphql block, or the one a curl command sends."""
    if language == "graphql":
        return code
    found = CURL_QUERY.search(code) if language == "sh" else None
    return json.loads(f'"{found.group(1)}"') if found else None


def _is_query(text: str) -> bool:
    try:
        document = parse(text)
    except GraphQLSyntaxError:
        return False  # shows <placeholders> to fill in
    # A query with variables is a walkthrough's step, checked in its place
    # (tests/test_readme_checkout.py).
    return all(
        isinstance(d, OperationDefinitionNode)
        and d.operation is OperationType.QUERY
        and not d.variable_definitions
        for d in document.definitions
    )


def examples(page: Path) -> list[tuple[str, str, Any]]:
    """(where, query, answer) for each query block followed at once by a ```json block."""
    blocks = [
        (language, textwrap.dedent(code)) for language, code in CODE_BLOCK.findall(page.read_text())
    ]
    found = []
    for (language, code), (next_language, answer) in pairwise(blocks):
        query = _operation(language, code)
        if next_language == "json" and query is not None and _is_query(query):
            where = f"{page.relative_to(PROJECT_ROOT)}: {' '.join(query.split())[:60]}"
            found.append((where, query, json.loads(answer)))
    return found


EXAMPLES = [example for page in PAGES for example in examples(page)]


def mismatches(shown: Any, got: Any, path: str = "") -> list[str]:
    """Where the answer differs from what the page shows."""
    if isinstance(shown, dict):
        if not isinstance(got, dict) or set(shown) != set(got):
            return [f"{path}: fields {sorted(got) if isinstance(got, dict) else got!r}"]
        return [m for key in shown for m in mismatches(shown[key], got[key], f"{path}.{key}")]
    if isinstance(shown, list):
        if not isinstance(got, list) or len(shown) != len(got):
            return [f"{path}: {len(got) if isinstance(got, list) else got!r} items"]
        return [
            m
            for i, (s, g) in enumerate(zip(shown, got, strict=True))
            for m in mismatches(s, g, f"{path}[{i}]")
        ]
    if isinstance(shown, str) and shown.endswith("..."):
        ok = isinstance(got, str) and got.startswith(shown[:-3])
        return [] if ok else [f"{path}: {got!r} does not begin with {shown[:-3]!r}"]
    return [] if shown == got else [f"{path}: {got!r}, the page shows {shown!r}"]


def test_the_pages_show_examples_with_their_answers():
    assert len(EXAMPLES) >= 4
    assert any("variants" in query for _, query, _ in EXAMPLES)


@pytest.mark.parametrize(("where", "query", "answer"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
async def test_each_example_answers_as_shown(db, gql, where, query, answer):
    await db.products.insert_many(demo_products())

    body = await gql(query)

    assert mismatches(answer, body) == [], where
