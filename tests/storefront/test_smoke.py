"""The store opens in a real browser: the catalog with its products, and a page of the
app on a direct visit (storefront/e2e/smoke.mjs)."""


async def test_the_catalog_and_a_direct_visit_to_the_cart_load(storefront):
    run = await storefront.run("smoke")

    assert f"Shopgraph: storefront at {storefront.base_url}/" in storefront.served.output()
    shown = run.results["skus"]
    assert len(shown) >= 2, shown
    stored = storefront.db.products.find({"sku": {"$in": shown}}, {"sku": 1, "active": 1})
    assert {product["sku"]: product.get("active", True) async for product in stored} == {
        sku: True for sku in shown
    }
    assert run.results["cartTitle"] == "Your cart · Shopgraph store"
