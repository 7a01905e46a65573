"""Two tabs of one guest add a product each at the same moment: one cart holds both
(storefront/e2e/two_tabs.mjs)."""

from tests.storefront.harness import Storefront

CANDLE, VASE = "HOM-006", "HOM-007"  # demo products no other scenario uses


async def test_two_tabs_adding_at_once_fill_one_cart(storefront: Storefront):
    await storefront.run("two_tabs", FIRST_SKU=CANDLE, SECOND_SKU=VASE)

    products = await storefront.db.products.find({"sku": {"$in": [CANDLE, VASE]}}).to_list()
    ids = [product["_id"] for product in products]
    every_cart = await storefront.db.carts.find().to_list()  # a few: this server's own
    carts = [
        cart for cart in every_cart if {line["productId"] for line in cart["lines"]} & set(ids)
    ]
    assert len(carts) == 1, carts
    assert sorted(line["productId"] for line in carts[0]["lines"]) == sorted(ids)
