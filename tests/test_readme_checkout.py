"""The README's guest checkout, step by step against the demo store: each step's answer is
the one the README shows, the IDs it gives carried into the next steps' variables as a
reader would carry them."""

import json
import re
import textwrap

from graphql import OperationDefinitionNode, parse

from shopgraph.datasources.client import Datasources
from shopgraph.server.demo_catalog import demo_products
from shopgraph.server.demo_store import seed_checkout_terms
from shopgraph.services import catalog_service
from tests.conftest import PROJECT_ROOT
from tests.test_docs_examples import CODE_BLOCK, mismatches

SECTION = "## Checking out as a guest"


def steps() -> list[tuple[str, dict]]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = [(language, textwrap.dedent(code)) for language, code in CODE_BLOCK.findall(section)]
    assert [language for language, _ in blocks] == ["graphql", "json"] * 6, blocks
    return [(blocks[i][1], json.loads(blocks[i + 1][1])) for i in range(0, len(blocks), 2)]


def carried(answer: dict) -> dict[str, str]:
    """What a reader copies from an answer into the Variables pane."""
    data = answer["data"]
    found = {}
    if "product" in data:
        found["productId"] = data["product"]["id"]
    if "cartCreate" in data:
        found["cartId"] = data["cartCreate"]["cart"]["id"]
    if "cartSetShippingAddress" in data:
        methods = data["cartSetShippingAddress"]["cart"]["availableShippingMethods"]
        found["shippingMethodId"] = next(m["id"] for m in methods if m["name"] == "Standard")
    if "checkoutComplete" in data:
        found["token"] = data["checkoutComplete"]["order"]["token"]
    return found


def declared(query: str) -> set[str]:
    (operation,) = parse(query).definitions
    assert isinstance(operation, OperationDefinitionNode)
    return {definition.variable.name.value for definition in operation.variable_definitions or ()}


async def test_the_readme_walks_a_guest_through_checkout_as_the_server_answers(
    gql, db, make_settings
):
    settings = make_settings()
    datasources = Datasources.for_database(db)
    await catalog_service(settings, datasources).seed(demo_products(), only_if_empty=False)
    assert await seed_checkout_terms(datasources, settings.currency)

    variables: dict[str, str] = {}
    for query, shown in steps():
        wanted = declared(query)
        assert wanted <= set(variables), (query, variables)
        answer = await gql(query, {name: variables[name] for name in wanted})
        where = " ".join(query.split())[:60]
        assert mismatches(shown, answer) == [], (where, answer)
        variables.update(carried(answer))
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", variables["token"])
