"""Stock changes on screen: with a product's page and the catalog open, an admin's
`adjustStock` from another client changes both badges and the "Add to cart" button
within 2 s (storefront/e2e/live_stock.mjs)."""

from tests.storefront.harness import Storefront

CUSHION = "HOM-008"  # the demo's Premium Cushion: one variant, 40 in stock


async def test_an_admins_stock_change_shows_within_two_seconds(storefront: Storefront):
    run = await storefront.run("live_stock", PRODUCT_SKU=CUSHION)

    seconds = run.results["seconds"]
    assert set(seconds) == {"2", "0", "7"}, seconds
    assert all(value <= 2.0 for value in seconds.values()), seconds
    product = await storefront.db.products.find_one({"sku": CUSHION})
    assert product is not None
    assert product["stock"] == run.results["finalStock"] == 7
