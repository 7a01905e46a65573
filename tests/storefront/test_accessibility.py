"""The storefront's main pages pass axe-core's WCAG 2.1 A and AA rules in a real browser,
at desktop and phone widths (storefront/e2e/a11y.mjs); the pages behind a sign-in or a
cart are checked by the scenarios that reach them."""

from tests.storefront.harness import Storefront

BOOT = "FTW-001"  # the demo's Everyday Trail Runner: sizes, one sold out


async def test_the_main_pages_pass_wcag_checks(storefront: Storefront):
    run = await storefront.run("a11y", PRODUCT_SKU=BOOT, PRODUCT_NAME="Everyday Trail Runner")

    assert len(run.results["checked"]) == 14, run.results
