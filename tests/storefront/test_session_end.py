"""A session ended elsewhere while a product page is open: the server closes the page's
socket with 4403, the page shows the shopper signed out, and stock stays live over its
new socket (storefront/e2e/session_end.mjs)."""

from tests.storefront.harness import Storefront

COMPASS = "OUT-010"  # the demo's Premium Compass: one variant


async def test_the_page_reconnects_after_its_session_ends(storefront: Storefront):
    run = await storefront.run(
        "session_end",
        PRODUCT_SKU=COMPASS,
        SHOPPER_EMAIL="session.ender@example.com",
        SHOPPER_PASSWORD="a long enough password",
    )

    assert run.results["seconds"] <= 2.0, run.results
    product = await storefront.db.products.find_one({"sku": COMPASS})
    assert product is not None
    assert product["stock"] == run.results["finalStock"]
