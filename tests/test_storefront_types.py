"""The storefront's operations are checked against schema.graphql when it is built: one
that asks for a field the schema no longer has fails the build, naming the field and
where it is asked for."""

import os
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_ROOT

STOREFRONT = PROJECT_ROOT / "storefront"
CODEGEN = STOREFRONT / "node_modules" / ".bin" / "graphql-codegen"


def check_documents(schema: Path) -> subprocess.CompletedProcess[str]:
    """GraphQL Code Generator's check of every document against `schema` (it writes nothing)."""
    assert CODEGEN.is_file(), "storefront/node_modules is missing: run `make install` (needs npm)"
    return subprocess.run(
        [str(CODEGEN), "--config", "codegen.ts", "--check"],
        cwd=STOREFRONT,
        env={**os.environ, "SHOPGRAPH_SCHEMA": str(schema)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_operations_match_the_schema():
    checked = check_documents(PROJECT_ROOT / "schema.graphql")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_operation_the_schema_no_longer_allows_fails_the_check(tmp_path):
    schema = (PROJECT_ROOT / "schema.graphql").read_text()
    without = schema.replace("  priceRange: PriceRange!\n", "", 1)
    assert without != schema
    (tmp_path / "schema.graphql").write_text(without)

    checked = check_documents(tmp_path / "schema.graphql")

    output = checked.stdout + checked.stderr
    assert checked.returncode != 0, output
    assert 'Cannot query field "priceRange" on type "Product"' in output
    assert "src/catalog/ProductCard.tsx" in output
