"""The cost model's arithmetic on Shopgraph's own schema: what each field costs, how lists
multiply, and what counts (variables, fragments, aliases, interfaces)."""

from dataclasses import replace
from typing import Any

import pytest
from graphql import (
    GraphQLObjectType,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    parse,
)

from shopgraph.checkout.order_lines import MAX_LINES
from shopgraph.schema.build import build_schema
from shopgraph.schema.query_cost import DATABASE_FIELDS, LIST_BOUNDS, CostLimits, operation_cost

SCHEMA = build_schema()._schema
LIMITS = CostLimits(max_cost=10_000, default_page_size=20, max_page_size=100)


def cost(query: str, variables: dict[str, Any] | None = None, **limits: int) -> int | None:
    chosen = replace(LIMITS, **limits)
    return operation_cost(SCHEMA, parse(query), None, variables, chosen)


# --- what one field costs ----------------------------------------------------------------


def test_scalars_cost_nothing_objects_one_and_database_reads_two():
    assert cost('{ product(sku: "A") { name stock tags } }') == 2
    assert cost('{ product(sku: "A") { name price { amount } } }') == 2 + 1
    assert cost("{ __typename }") == 0


def test_a_mutation_costs_ten_plus_its_payload():
    query = 'mutation { login(email: "a", password: "b") { accessToken } }'
    assert cost(query) == 10
    with_user = 'mutation { login(email: "a", password: "b") { user { name } } }'
    assert cost(with_user) == 10 + 1


def test_introspection_costs_one_and_is_not_followed():
    assert cost("{ __schema { types { name fields { name args { name } } } } }") == 1
    assert cost('{ __type(name: "Product") { fields { name } } }') == 1


# --- lists multiply ----------------------------------------------------------------------


def test_a_connection_multiplies_its_edges_by_first():
    # products 2 + 5 x (edge 1 + node 1 + price 1)
    assert cost("{ products(first: 5) { edges { node { price { amount } } } } }") == 2 + 5 * 3


def test_without_first_or_last_the_default_page_size_counts():
    query = "{ products { edges { node { sku } } } }"
    assert cost(query) == 2 + 20 * 2
    assert cost(query, default_page_size=7) == 2 + 7 * 2
    assert cost("{ products(first: null) { edges { node { sku } } } }") == 2 + 20 * 2


def test_last_counts_like_first():
    assert cost("{ products(last: 4) { edges { node { sku } } } }") == 2 + 4 * 2


def test_page_info_and_total_count_count_once_per_connection():
    query = "{ products(first: 50) { totalCount pageInfo { hasNextPage } edges { cursor } } }"
    # products 2 + totalCount 2 + pageInfo 1 + 50 edges x 1
    assert cost(query) == 2 + 2 + 1 + 50


def test_a_page_larger_than_allowed_counts_as_the_largest_page():
    # Asking for more than the maximum is refused before any item is read.
    assert cost("{ products(first: 5000) { edges { cursor } } }") == 2 + 100
    assert cost("{ products(first: -3) { edges { cursor } } }") == 2


def test_nested_connections_multiply():
    inner = "orders(first: 10) { edges { node { number } } }"
    query = f"{{ orders(first: 20) {{ edges {{ node {{ user {{ {inner} }} }} }} }} }}"
    user_orders = 2 + 10 * 2
    assert cost(query) == 2 + 20 * (1 + 1 + (2 + user_orders))


def test_order_lines_count_as_many_as_an_order_may_have():
    query = '{ order(id: "x") { items { sku product { name } } } }'
    assert cost(query) == 2 + MAX_LINES * (1 + 2)


def test_the_published_attack_costs_over_a_million():
    query = """{ orders(first: 100) { edges { node { user { orders(first: 100) {
      edges { node { items { product { name } } } } } } } } } }"""
    line = 1 + 2  # the line, its product
    inner_order = 1 + 1 + MAX_LINES * line  # edge, node, lines
    user = 2 + (2 + 100 * inner_order)
    assert cost(query) == 2 + 100 * (1 + 1 + user) == 1_520_602


# --- variables -----------------------------------------------------------------------------


def test_page_sizes_come_from_variables():
    query = "query Page($n: Int) { products(first: $n) { edges { node { sku } } } }"
    assert cost(query, {"n": 7}) == 2 + 7 * 2
    assert cost(query, {"n": 100}) == 2 + 100 * 2


def test_a_missing_or_null_variable_means_the_default_page_size():
    query = "query Page($n: Int) { products(first: $n) { edges { node { sku } } } }"
    assert cost(query, {}) == 2 + 20 * 2
    assert cost(query, {"n": None}) == 2 + 20 * 2


def test_a_variables_default_value_counts_when_it_is_not_given():
    query = "query Page($n: Int = 3) { products(first: $n) { edges { node { sku } } } }"
    assert cost(query, {}) == 2 + 3 * 2
    assert cost(query, {"n": 9}) == 2 + 9 * 2


def test_variables_that_do_not_coerce_count_as_the_largest_page():
    # Such a request fails before it runs; the price stays an upper bound meanwhile.
    query = "query Page($n: Int) { products(first: $n) { edges { node { sku } } } }"
    assert cost(query, {"n": "many"}) == 2 + 100 * 2


# --- what counts ------------------------------------------------------------------------


def test_aliased_copies_count_once_each():
    one = "orders(first: 10) { edges { node { number } } }"
    single = cost(f"{{ {one} }}")
    assert single is not None
    assert cost(f"{{ a: {one} b: {one} c: {one} }}") == 3 * single


def test_named_fragments_count_wherever_they_are_spread():
    query = """
      query { a: products(first: 5) { ...Page } b: products(first: 2) { ...Page } }
      fragment Page on ProductConnection { edges { node { ...Item } } }
      fragment Item on Product { sku price { amount } }
    """
    assert cost(query) == (2 + 5 * 3) + (2 + 2 * 3)


def test_inline_fragments_count():
    query = "{ products(first: 3) { edges { ... on ProductEdge { node { price { amount } } } } } }"
    assert cost(query) == 2 + 3 * 3


def test_on_an_interface_the_most_expensive_type_counts():
    query = """{ node(id: "x") {
      id
      ... on Product { price { amount } }
      ... on Order { items { product { name } } }
      ... on User { orders(first: 3) { edges { node { number } } } }
    } }"""
    order = MAX_LINES * (1 + 2)
    assert cost(query) == 2 + order


def test_a_fragment_spread_many_times_is_priced_once():
    # 2^12 paths through the fragments; each one is priced once all the same.
    fragments = "\n".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(12)
    )
    query = "{ ...F0 }\n" + fragments + '\nfragment F12 on Query { product(sku: "A") { name } }'
    assert cost(query) == 2 * 2**12


def test_a_long_chain_of_fragments_is_priced_without_recursion():
    links = 3000
    fragments = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(links))
    query = "{ ...F0 }\n" + fragments + f"\nfragment F{links} on Query {{ me {{ name }} }}"
    assert cost(query) == 2


def test_documents_that_validation_refuses_are_not_priced():
    assert cost("{ ...Missing }") is None
    assert cost("{ ...A } fragment A on Query { ...A }") is None
    assert cost("{ nope { name } }") is None


# --- the tables name real fields ---------------------------------------------------------


def object_types() -> list[GraphQLObjectType]:
    return [
        t
        for name, t in SCHEMA.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__")
    ]


def test_the_cost_tables_name_fields_that_exist():
    fields = {(t.name, f) for t in object_types() for f in t.fields}
    names = {f for _, f in fields}
    for coordinate in [*DATABASE_FIELDS, *LIST_BOUNDS]:
        type_name, field = coordinate.split(".")
        if type_name == "*":
            assert field in names, coordinate
        else:
            assert (type_name, field) in fields, coordinate


@pytest.mark.parametrize("type_", object_types(), ids=lambda t: t.name)
def test_every_list_of_objects_is_a_page_or_has_a_declared_bound(type_):
    """A new list field must say how long it can be, or it is priced as a full page."""
    for name, field in type_.fields.items():
        listed = is_list_type(get_nullable_type(field.type))  # type: ignore[arg-type]
        if not listed or is_leaf_type(get_named_type(field.type)):
            continue
        in_connection = name == "edges" and "pageInfo" in type_.fields
        declared = f"{type_.name}.{name}" in LIST_BOUNDS or f"*.{name}" in LIST_BOUNDS
        assert in_connection or declared, f"{type_.name}.{name}: declare its bound in LIST_BOUNDS"
