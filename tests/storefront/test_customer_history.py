"""A customer signs in and finds their order in the history; the cart they filled as a
guest comes with them (storefront/e2e/customer_history.mjs)."""

from tests.storefront.harness import Storefront

HEADLAMP = "OUT-005"  # ordered through the API before the scenario
SPEAKER = "ELC-003"  # put in the cart as a guest, in the browser

PLACE_ORDER = """
mutation HistoryOrder($productId: ID!) {
  placeOrder(input: {items: [{productId: $productId, quantity: 1}]}) {
    order { number }
    userErrors { message }
  }
}
"""


async def test_a_customer_signs_in_and_sees_their_order(storefront: Storefront):
    token = await storefront.log_in(storefront.customer_login)
    product = await storefront.graphql(
        'query HistoryProduct { product(sku: "OUT-005") { id } }', token=token
    )
    placed = await storefront.graphql(
        PLACE_ORDER, {"productId": product["data"]["product"]["id"]}, token=token
    )
    number = placed["data"]["placeOrder"]["order"]["number"]

    await storefront.run("customer_history", PRODUCT_SKU=SPEAKER, ORDER_NUMBER=str(number))

    customer = await storefront.db.users.find_one({"email": storefront.customer_login.email})
    assert customer is not None
    carts = await storefront.db.carts.find({"openFor": {"$in": [customer["_id"]]}}).to_list()
    assert len(carts) == 1, carts
    speaker = await storefront.db.products.find_one({"sku": SPEAKER})
    assert speaker is not None
    lines = [(line["productId"], line["quantity"]) for line in carts[0]["lines"]]
    assert lines == [(speaker["_id"], 2)]
