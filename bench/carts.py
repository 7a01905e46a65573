"""Cart rows of `make bench`: adding a line, reading a full cart of 20 lines with its cost
and problems (and how many MongoDB commands that takes, against a cart of 1 line), and
`checkoutComplete` with payment."""

import base64
from collections.abc import Awaitable, Callable

import httpx
from pymongo.monitoring import CommandListener, CommandStartedEvent
from starlette.applications import Starlette

Row = tuple[str, float, float]
Timer = Callable[[Callable[[], Awaitable[object]], int], Awaitable[float]]

FULL_CART = """query Cart($id: ID!) { cart(id: $id) {
  id totalQuantity email
  lines { id quantity available unitPrice { amount } lineTotal { amount }
          variant { id sku title price { amount } stock } product { id name } }
  shippingAddress { city country } shippingMethod { name }
  availableShippingMethods { id name price { amount } }
  discountCodes
  cost { subtotal { amount } shipping { amount } tax { amount } discount { amount }
         total { amount } taxIncluded }
  problems { lineId code message }
} }"""
ADD_LINE = """mutation Add($cartId: ID!, $lines: [CartLineInput!]!) {
  cartLinesAdd(cartId: $cartId, lines: $lines) { cart { totalQuantity } userErrors { code } }
}"""
CREATE = """mutation Create($input: CartCreateInput) {
  cartCreate(input: $input) { cart { id } userErrors { code } }
}"""
SETUP = {
    "address": """mutation A($cartId: ID!) { cartSetShippingAddress(cartId: $cartId, address: {
      firstName: "Ada", lastName: "Lovelace", line1: "1 Main St", city: "Springfield",
      postalCode: "62701", country: "US" }) { userErrors { code } } }""",
    "method": """mutation M($cartId: ID!, $method: ID!) {
      cartSelectShippingMethod(cartId: $cartId, shippingMethodId: $method) {
        userErrors { code } } }""",
    "code": """mutation C($cartId: ID!) {
      cartApplyDiscountCode(cartId: $cartId, code: "BENCH10") { userErrors { code } } }""",
}
CHECKOUT = """mutation Checkout($cartId: ID!) {
  checkoutComplete(cartId: $cartId, payment: {token: "tok_visa"}) {
    order { number status total { amount } } userErrors { code }
  }
}"""
CREATE_METHOD = """mutation { createShippingMethod(input: {name: "Bench", price: "4.90",
  countries: ["US"]}) { shippingMethod { id } userErrors { code } } }"""
CREATE_CODE = """mutation { createDiscountCode(input: {code: "BENCH10", kind: PERCENTAGE,
  value: "10"}) { discountCode { id } userErrors { code } } }"""
SET_TAX = """mutation { setTaxRate(country: "US", rate: "8.25") { userErrors { code } } }"""


class Commands(CommandListener):
    """Counts the commands the app sends while `counting` is set."""

    def __init__(self) -> None:
        self.counting = False
        self.count = 0

    def started(self, event: CommandStartedEvent) -> None:
        if self.counting and event.command_name in ("find", "aggregate", "count"):
            self.count += 1

    def succeeded(self, event: object) -> None:
        pass

    def failed(self, event: object) -> None:
        pass


async def data_of(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, object],
    headers: dict[str, str] | None = None,
) -> dict:
    """The `data` of a request that must not fail."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    body = response.json()
    assert "errors" not in body, response.text
    return body["data"]


async def cart_rows(
    app: Starlette,
    client: httpx.AsyncClient,
    admin: dict[str, str],
    commands: Commands,
    timer: Timer,
    baseline: float,
) -> list[Row]:
    async def post(query: str, variables: dict[str, object], headers=None) -> dict:
        return await data_of(client, query, variables, headers)

    method = (await post(CREATE_METHOD, {}, admin))["createShippingMethod"]["shippingMethod"]["id"]
    await post(CREATE_CODE, {}, admin)
    await post(SET_TAX, {}, admin)
    products = await _products(app, 20)

    async def ready_cart(lines: int) -> str:
        created = await post(CREATE, {"input": {"lines": products[:lines], "email": "b@e.ch"}})
        cart_id = created["cartCreate"]["cart"]["id"]
        await post(SETUP["address"], {"cartId": cart_id})
        await post(SETUP["method"], {"cartId": cart_id, "method": method})
        await post(SETUP["code"], {"cartId": cart_id})
        return cart_id

    rows: list[Row] = []
    growing = (await post(CREATE, {"input": {}}))["cartCreate"]["cart"]["id"]
    added = iter(products * 1000)

    async def add() -> None:
        data = await post(ADD_LINE, {"cartId": growing, "lines": [next(added)]})
        assert data["cartLinesAdd"]["userErrors"] == [], data

    ms = await timer(add, 40)
    rows.append(("http: cartLinesAdd, 1 line", ms, ms / baseline))

    full = await ready_cart(20)
    ms = await timer(lambda: post(FULL_CART, {"id": full}), 40)
    rows.append(("http: cart of 20 lines, cost and problems", ms, ms / baseline))
    reads = {}
    for lines in (1, 20):
        cart_id = await ready_cart(lines)
        commands.counting, commands.count = True, 0
        await post(FULL_CART, {"id": cart_id})
        commands.counting = False
        reads[lines] = commands.count
    assert reads[1] == reads[20], f"a cart's reads grow with its lines: {reads}"
    rows.append((f"  MongoDB reads per cart read: {reads[20]} (1 line: {reads[1]})", 0.0, 0.0))

    carts = [await ready_cart(2) for _ in range(60)]
    remaining = iter(carts)

    async def check_out() -> None:
        data = await post(CHECKOUT, {"cartId": next(remaining)})
        assert data["checkoutComplete"]["order"]["status"] == "PAID", data

    ms = await timer(check_out, 8)
    rows.append(("http: checkoutComplete with payment, 2 lines", ms, ms / baseline))
    return rows


async def _products(app: Starlette, count: int) -> list[dict[str, object]]:
    """Lines of one-variant products with stock enough for every round."""
    products = app.state.datasources.products
    one_variant = {"active": True, "variantStock": {"$exists": False}}
    chosen = await products.collection.find(one_variant, {"_id": 1}, limit=count).to_list()
    for product in chosen:
        await products.collection.update_one({"_id": product["_id"]}, {"$set": {"stock": 10**6}})
    return [
        {"productId": base64.b64encode(f"Product:{p['_id']}".encode()).decode(), "quantity": 1}
        for p in chosen
    ]
