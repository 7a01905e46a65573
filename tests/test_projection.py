"""A query fetches only what it selects, in a constant number of MongoDB commands."""

from tests.factories import global_id, product_document


async def test_listing_three_fields_of_twenty_products_is_one_find_with_three_fields(
    db, gql, command_log
):
    await db.products.insert_many([product_document() for _ in range(30)])
    command_log.clear()

    body = await gql("{ products(first: 20) { edges { node { sku name price { amount } } } } }")

    assert len(body["data"]["products"]["edges"]) == 20
    finds = command_log.named("find", "products")
    assert len(finds) == 1
    assert set(finds[0]["projection"]) == {"sku", "name", "price"}
    assert finds[0]["limit"] == 21


async def test_asking_for_cursors_adds_only_the_sort_key(db, gql, command_log):
    await db.products.insert_many([product_document() for _ in range(3)])
    command_log.clear()

    body = await gql(
        "{ products(sort: {field: PRICE, direction: ASC}) { edges { cursor node { name } } } }"
    )

    assert all(edge["cursor"] for edge in body["data"]["products"]["edges"])
    (find,) = command_log.named("find", "products")
    assert set(find["projection"]) == {"name", "price"}


async def test_total_count_is_queried_only_when_selected(db, gql, command_log):
    await db.products.insert_many([product_document() for _ in range(3)])
    command_log.clear()
    await gql("{ products { edges { node { sku } } } }")
    assert command_log.named("aggregate") == [] and command_log.named("count") == []

    command_log.clear()
    body = await gql("{ products { totalCount } }")
    assert body["data"]["products"]["totalCount"] == 3
    assert len(command_log.named("aggregate") + command_log.named("count")) == 1


async def test_fragments_are_followed_when_choosing_fields(db, gql, command_log):
    await db.products.insert_one(product_document())
    command_log.clear()

    await gql(
        """
        query { products { edges { node { ...Card ... on Product { stock } } } } }
        fragment Card on Product { name price { amount } }
        """
    )

    (find,) = command_log.named("find", "products")
    assert set(find["projection"]) == {"name", "price", "stock"}


async def test_many_node_lookups_in_one_query_cost_one_find(db, gql, command_log):
    documents = [product_document() for _ in range(5)]
    await db.products.insert_many(documents)
    aliases = " ".join(
        f'p{i}: node(id: "{global_id("Product", d["_id"])}") {{ ... on Product {{ sku }} }}'
        for i, d in enumerate(documents)
    )
    command_log.clear()

    body = await gql(f"{{ {aliases} }}")

    assert [body["data"][f"p{i}"]["sku"] for i in range(5)] == [d["sku"] for d in documents]
    (find,) = command_log.named("find", "products")
    assert set(find["projection"]) == {"sku", "active"}
    assert len(find["filter"]["_id"]["$in"]) == 5
