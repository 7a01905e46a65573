"""Costs are kept per (document, operation, variables): the same query with other
variables is priced again, and the cache cannot be made to grow."""

from shopgraph.schema.cost_limit import CostCache

PAGE = "query Page($n: Int) { products(first: $n) { edges { node { name } } } }"


async def test_the_same_document_with_other_variables_is_priced_again(client) -> None:
    costs = []
    for first in (1, 50, 1, 50):
        response = await client.post("/graphql", json={"query": PAGE, "variables": {"n": first}})
        costs.append(response.json()["extensions"]["cost"]["requestedQueryCost"])
    assert costs[0] == costs[2] < costs[1] == costs[3]


async def test_a_query_over_the_limit_is_refused_again_when_sent_again(gql) -> None:
    for _ in range(2):
        body = await gql(PAGE.replace("name", "variants { sku }"), {"n": 100})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "data" not in body or body["data"] is None


def test_the_cache_keeps_a_bounded_number_of_small_keys() -> None:
    cache = CostCache(max_entries=3)
    for n in range(10):
        key = CostCache.key(PAGE, None, {"n": n})
        assert key is not None
        cache.put(key, n)
    assert [cache.get(CostCache.key(PAGE, None, {"n": n}))[0] for n in range(10)] == [
        *([False] * 7),
        *([True] * 3),
    ]
    assert CostCache.key(PAGE, None, {"tags": ["x" * 100] * 30}) is None
