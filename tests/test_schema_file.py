from shopgraph.schema.build import build_schema
from tests.conftest import PROJECT_ROOT


def test_schema_graphql_matches_the_code():
    exported = build_schema().as_str() + "\n"
    on_disk = (PROJECT_ROOT / "schema.graphql").read_text()
    assert on_disk == exported, "schema.graphql is stale: run `make schema`"
