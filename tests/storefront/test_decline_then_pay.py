"""A declined card at checkout: the order page says so, and the shopper pays the same
order with another card (storefront/e2e/decline_then_pay.mjs)."""

from tests.storefront.harness import Storefront

ATLAS = "BOK-002"  # the demo's Essential Atlas: one variant
GUEST = "grace.declined@example.com"


async def test_a_declined_order_is_paid_again_from_its_page(storefront: Storefront):
    before = await storefront.db.products.find_one({"sku": ATLAS})
    assert before is not None

    run = await storefront.run("decline_then_pay", PRODUCT_SKU=ATLAS, GUEST_EMAIL=GUEST)

    orders = await storefront.db.orders.find({"email": GUEST}).to_list()
    assert [order["number"] for order in orders] == [run.results["number"]]
    assert orders[0]["status"] == "PAID"
    after = await storefront.db.products.find_one({"sku": ATLAS})
    assert after is not None
    assert after["stock"] == before["stock"] - 1  # taken once, by the one order
