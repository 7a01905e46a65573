"""`productCategories` and `productTags`: what a storefront's filter menus offer."""

from shopgraph.resolvers.products import MAX_FACET_VALUES
from tests.factories import product_document
from tests.helpers import post_json as post

FACETS = "{ productCategories productTags }"


async def test_values_of_active_products_sorted_and_distinct(client, db):
    await db.products.insert_many(
        [
            product_document(category="shoes", tags=["sale", "red"]),
            product_document(category="bags", tags=["red"]),
            product_document(category="shoes", tags=[]),
            product_document(category=None, tags=["eco"]),
            product_document(category="hidden-category", tags=["hidden-tag"], active=False),
        ]
    )
    body = await post(client, FACETS)
    assert body == {
        "data": {"productCategories": ["bags", "shoes"], "productTags": ["eco", "red", "sale"]}
    }


async def test_an_admin_sees_the_same_menu(as_admin, db):
    await db.products.insert_many(
        [product_document(category="a"), product_document(category="b", active=False)]
    )
    assert (await as_admin(FACETS))["productCategories"] == ["a"]


async def test_an_empty_catalog_offers_nothing(client):
    assert await post(client, FACETS) == {"data": {"productCategories": [], "productTags": []}}


async def test_a_huge_catalog_offers_a_bounded_menu(client, db):
    count = MAX_FACET_VALUES + 30
    await db.products.insert_many(
        [product_document(category=f"c{n:04d}", tags=[f"t{n:04d}"]) for n in range(count)]
    )
    data = (await post(client, FACETS))["data"]
    assert data["productCategories"] == [f"c{n:04d}" for n in range(MAX_FACET_VALUES)]
    assert data["productTags"] == [f"t{n:04d}" for n in range(MAX_FACET_VALUES)]
