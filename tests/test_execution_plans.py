"""Execution plans answer exactly what graphql-core answers, errors and nulls included.

Two real `shopgraph serve` processes read the same database, one with plans and one
without (SHOPGRAPH_EXECUTION_PLANS=false); every query is sent to both and the answers
must be equal, byte for byte once parsed.
"""

import itertools
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries
from hypothesis_graphql.nodes import String

from shopgraph.schema.execution_plans import PlanCache
from shopgraph.server.demo_catalog import demo_products
from tests.conftest import TEST_JWT_SECRET, Account
from tests.served import READY_SECONDS, Served, serve_env, start

SCHEMA = build_schema((Path(__file__).parents[1] / "schema.graphql").read_text())
SCALARS = {
    "DateTime": st.sampled_from(["2026-01-01T00:00:00Z", "not a date"]).map(String),
    "Decimal": st.sampled_from(["12.50", "0", "-1", "1e400"]).map(String),
    "Upload": st.just(String("none")),
}
STOREFRONT = """query Page($after: String) { products(first: 20, after: $after) {
  edges { cursor node { __typename id name price { amount currency } stock inStock tags
    variants { id title sku price { amount } stock selectedOptions { name value } } } }
  pageInfo { hasNextPage endCursor } } }"""


def _ready(served: Served) -> Served:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"shopgraph serve exited at start:\n{served.output()}")
        try:
            if httpx.get(f"{served.base_url}/readyz", timeout=5).status_code == 200:
                return served
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    served.stop(signal.SIGKILL)
    raise AssertionError("shopgraph serve was not ready")


@pytest.fixture(scope="module")
def servers(
    mongodb_target: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, Served]]:
    """(with plans, without plans) on the test database, doing no background work and
    keeping no cached answers."""
    started = []
    try:
        for plans in ("true", "false"):
            data_dir = tmp_path_factory.mktemp(f"plans-{plans}")
            env = serve_env(
                mongodb_target,
                data_dir,
                SHOPGRAPH_EXECUTION_PLANS=plans,
                SHOPGRAPH_JWT_SECRET=TEST_JWT_SECRET,
                SHOPGRAPH_BACKGROUND_TASKS="false",
                SHOPGRAPH_RESPONSE_CACHE_BYTES="0",
                SHOPGRAPH_LOG_LEVEL="CRITICAL",
            )
            started.append(start(env, data_dir / "serve.out"))
        yield _ready(started[0]), _ready(started[1])
    finally:
        for served in started:
            served.stop()


@pytest.fixture
async def catalog(db: Any) -> None:
    products = demo_products()
    # Another writer's product with a null name, and one whose price is not a number:
    # plans must leave both to graphql-core, which reports them.
    products[0] = products[0] | {"name": None}
    products[1] = products[1] | {"price": "twelve"}
    await db.products.insert_many(products)


def _both(servers: tuple[Served, Served], body: dict[str, Any], headers: dict[str, str]) -> Any:
    answers = []
    for served in servers:
        response = httpx.post(
            f"{served.base_url}/graphql",
            json=body,
            headers=headers | {"X-Request-ID": "execution-plans-test"},  # quoted in errors
            timeout=30,
        )
        answers.append((response.status_code, response.json()))
    planned, general = answers
    assert planned == general, body
    return planned[1]


@pytest.mark.usefixtures("catalog")
def test_a_storefront_page_with_broken_products_answers_as_graphql_core_does(
    servers: tuple[Served, Served],
) -> None:
    answer = _both(servers, {"query": STOREFRONT}, {})
    # Edges and nodes are non-null: the page is lost, with the first error.
    assert answer["data"] is None
    assert answer["errors"][0]["path"] == ["products", "edges", 0, "node", "name"]
    # Without `name`, the product priced "twelve" is the first to fail, at its price.
    nameless = _both(servers, {"query": STOREFRONT.replace(" id name price", " id price")}, {})
    assert nameless["errors"][0]["path"] == ["products", "edges", 1, "node", "price"]


DIRECTED = """query Page($details: Boolean!) { products(first: 5) { edges { node {
  id name ... on Product @include(if: $details) { stock variants { title } }
  price @skip(if: $details) { amount } } } } }"""
# The only directives are in the fragment.
DIRECTED_FRAGMENT = """query Page($details: Boolean!) { products(first: 5) { edges { node {
  id name ...Details } } } }
fragment Details on Product { stock @include(if: $details) variants @include(if: $details)
  { title } price @skip(if: $details) { amount } }"""


@pytest.fixture
async def healthy_catalog(db: Any) -> None:
    await db.products.insert_many(demo_products())


@pytest.mark.usefixtures("healthy_catalog")
def test_a_document_with_directives_follows_its_variables_each_time(
    servers: tuple[Served, Served],
) -> None:
    """Plans are kept across requests only for documents without directives: here the
    selection changes with the variables, request after request."""
    for query, details in itertools.product((DIRECTED, DIRECTED_FRAGMENT), (True, False) * 2):
        answer = _both(servers, {"query": query, "variables": {"details": details}}, {})
        for edge in answer["data"]["products"]["edges"]:
            node = edge["node"]
            shown = ("stock" in node, "variants" in node, "price" in node)
            assert shown == (details, details, not details)


@pytest.mark.usefixtures("catalog")
@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=queries(SCHEMA, custom_scalars=SCALARS), as_admin=st.booleans())
def test_generated_queries_answer_the_same_with_and_without_plans(
    servers: tuple[Served, Served], admin: Account, query: str, as_admin: bool
) -> None:
    _both(servers, {"query": query}, admin.headers if as_admin else {})


def test_the_plan_cache_keeps_a_bounded_number_of_plans() -> None:
    cache = PlanCache(max_entries=2)
    for n in range(5):
        cache.put(("Product", (n,)), None, None)
    assert [cache.get(("Product", (n,)))[0] for n in range(5)] == [False] * 3 + [True] * 2
