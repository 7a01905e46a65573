"""What the cart and checkout tests share: the operations, a store set up for checkout, and
carts filled through the API."""

import base64
from typing import Any

from bson import ObjectId

from tests.helpers import add_product, global_id

CART_FIELDS = """
  id totalQuantity email completed
  lines {
    id quantity available
    unitPrice { amount currency } lineTotal { amount }
    variant { id sku } product { id name }
  }
  shippingAddress { firstName lastName line1 city postalCode country region }
  billingAddress { firstName country }
  shippingMethod { id name price { amount } }
  availableShippingMethods { id name price { amount } }
  discountCodes
  cost { subtotal { amount } shipping { amount } tax { amount } discount { amount }
         total { amount currency } taxIncluded }
  problems { lineId code message }
  createdAt updatedAt expiresAt
"""
USER_ERRORS = "userErrors { field message code }"
CART_PAYLOAD = f"cart {{ {CART_FIELDS} }} {USER_ERRORS}"

CART_CREATE = f"""mutation Create($input: CartCreateInput) {{
  cartCreate(input: $input) {{ {CART_PAYLOAD} }}
}}"""
LINES_ADD = f"""mutation Add($cartId: ID!, $lines: [CartLineInput!]!) {{
  cartLinesAdd(cartId: $cartId, lines: $lines) {{ {CART_PAYLOAD} }}
}}"""
LINES_UPDATE = f"""mutation Update($cartId: ID!, $lines: [CartLineUpdateInput!]!) {{
  cartLinesUpdate(cartId: $cartId, lines: $lines) {{ {CART_PAYLOAD} }}
}}"""
LINES_REMOVE = f"""mutation Remove($cartId: ID!, $lineIds: [ID!]!) {{
  cartLinesRemove(cartId: $cartId, lineIds: $lineIds) {{ {CART_PAYLOAD} }}
}}"""
SET_EMAIL = f"""mutation Email($cartId: ID!, $email: String!) {{
  cartSetEmail(cartId: $cartId, email: $email) {{ {CART_PAYLOAD} }}
}}"""
SET_SHIPPING_ADDRESS = f"""mutation Ship($cartId: ID!, $address: AddressInput!) {{
  cartSetShippingAddress(cartId: $cartId, address: $address) {{ {CART_PAYLOAD} }}
}}"""
SET_BILLING_ADDRESS = f"""mutation Bill($cartId: ID!, $address: AddressInput!) {{
  cartSetBillingAddress(cartId: $cartId, address: $address) {{ {CART_PAYLOAD} }}
}}"""
SELECT_SHIPPING = f"""mutation Method($cartId: ID!, $id: ID!) {{
  cartSelectShippingMethod(cartId: $cartId, shippingMethodId: $id) {{ {CART_PAYLOAD} }}
}}"""
APPLY_CODE = f"""mutation Code($cartId: ID!, $code: String!) {{
  cartApplyDiscountCode(cartId: $cartId, code: $code) {{ {CART_PAYLOAD} }}
}}"""
REMOVE_CODE = f"""mutation NoCode($cartId: ID!) {{
  cartRemoveDiscountCode(cartId: $cartId) {{ {CART_PAYLOAD} }}
}}"""
ASSIGN = f"""mutation Mine($cartId: ID!) {{
  cartAssignToMe(cartId: $cartId) {{ {CART_PAYLOAD} }}
}}"""
CART_QUERY = f"""query Cart($id: ID!) {{ cart(id: $id) {{ {CART_FIELDS} }} }}"""

ORDER_FIELDS = """
  id number status email token
  items { sku name quantity unitPrice { amount } lineTotal { amount } variantTitle }
  subtotal { amount } shippingTotal { amount } taxTotal { amount } discountTotal { amount }
  total { amount currency } taxIncluded
  shippingAddress { firstName lastName line1 city postalCode country }
  billingAddress { firstName country }
  shippingMethod { name price { amount } }
  discounts { code amount { amount } }
  user { id }
"""
CHECKOUT = f"""mutation Checkout($cartId: ID!, $payment: PaymentInput, $key: String) {{
  checkoutComplete(cartId: $cartId, payment: $payment, idempotencyKey: $key) {{
    order {{ {ORDER_FIELDS} }} {USER_ERRORS}
  }}
}}"""
ORDER_BY_TOKEN = (
    f"""query ByToken($token: String!) {{ orderByToken(token: $token) {{ {ORDER_FIELDS} }} }}"""
)

CREATE_SHIPPING = """mutation Ship($input: ShippingMethodInput!) {
  createShippingMethod(input: $input) {
    shippingMethod { id name } userErrors { field message code }
  }
}"""
SET_TAX = """mutation Tax($country: String!, $region: String, $rate: Decimal!) {
  setTaxRate(country: $country, region: $region, rate: $rate) {
    taxRate { country region rate } userErrors { field message code }
  }
}"""
CREATE_CODE = """mutation Code($input: DiscountCodeInput!) {
  createDiscountCode(input: $input) {
    discountCode { id code timesUsed } userErrors { field message code }
  }
}"""

ADDRESS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "line1": "12 St James's Square",
    "city": "Springfield",
    "region": "IL",
    "postalCode": "62701",
    "country": "US",
}


def cart_object_key(cart_global_id: str) -> str:
    type_name, _, key = base64.b64decode(cart_global_id).decode().partition(":")
    assert type_name == "Cart", cart_global_id
    return key


def line_of(product: dict[str, Any], quantity: int) -> dict[str, Any]:
    return {"productId": global_id("Product", product["_id"]), "quantity": quantity}


def ok(payload: dict[str, Any]) -> dict[str, Any]:
    """The cart of a mutation that must succeed."""
    assert payload["userErrors"] == [], payload
    assert payload["cart"] is not None, payload
    return payload["cart"]


def amounts(cost: dict[str, Any]) -> dict[str, str]:
    return {name: value["amount"] for name, value in cost.items() if isinstance(value, dict)}


async def store_for_checkout(as_admin, db) -> dict[str, Any]:
    """The issue's store: a $19.99 and a $5.00 product, $4.90 shipping to the US, 8.25 %
    tax, and the code TEN (10 % off the goods)."""
    shirt = await add_product(db, sku="SHIRT-1", name="Shirt", price=1999, stock=50)
    socks = await add_product(db, sku="SOCKS-1", name="Socks", price=500, stock=50)
    method = await as_admin(
        CREATE_SHIPPING,
        {
            "input": {
                "name": "Standard",
                "price": "4.90",
                "countries": ["US", "CA"],
                "minDeliveryDays": 2,
                "maxDeliveryDays": 5,
            }
        },
    )
    assert method["createShippingMethod"]["userErrors"] == [], method
    tax = await as_admin(SET_TAX, {"country": "US", "region": None, "rate": "8.25"})
    assert tax["setTaxRate"]["userErrors"] == [], tax
    code = await as_admin(
        CREATE_CODE, {"input": {"code": "TEN", "kind": "PERCENTAGE", "value": "10"}}
    )
    assert code["createDiscountCode"]["userErrors"] == [], code
    return {
        "shirt": shirt,
        "socks": socks,
        "method_id": method["createShippingMethod"]["shippingMethod"]["id"],
        "code_id": code["createDiscountCode"]["discountCode"]["id"],
    }


async def ready_cart(
    gql, store: dict[str, Any], headers: dict[str, str] | None = None, code: str | None = "TEN"
) -> dict[str, Any]:
    """A cart of the issue's table, with email, address and shipping; the code applied
    unless `code` is None."""
    lines = [line_of(store["shirt"], 2), line_of(store["socks"], 1)]
    created = await gql(
        CART_CREATE, {"input": {"lines": lines, "email": "Guest@Example.com"}}, headers=headers
    )
    cart = ok(created["data"]["cartCreate"])
    cart_id = cart["id"]
    for operation, variables in (
        (SET_SHIPPING_ADDRESS, {"address": ADDRESS}),
        (SELECT_SHIPPING, {"id": store["method_id"]}),
        *(((APPLY_CODE, {"code": code}),) if code else ()),
    ):
        body = await gql(operation, {"cartId": cart_id, **variables}, headers=headers)
        assert "errors" not in body, body
        cart = ok(next(iter(body["data"].values())))
    return cart


def object_id_in(global_id_: str) -> ObjectId:
    return ObjectId(base64.b64decode(global_id_).decode().rpartition(":")[2])
