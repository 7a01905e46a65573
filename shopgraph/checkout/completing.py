"""Checking a cart out: the cart's view, as the shopper sees it, becomes an order.

1. The cart must be ready: lines, an email, a shipping address, a shipping method that
   ships there, and no blocking problem (`cart_view.BLOCKING`). All that is missing is
   reported at once.
2. The order is priced from the same read of the products that the checks used, and
   inserted with the cart's id under a unique index: of racing checkouts of one cart one
   inserts, and the others wait for its outcome.
3. As `placeOrder` does (`placing.open_order`): the customer's limits (a guest's, by email),
   then the discount code's use (`DiscountUses`, which holds its limits under any race),
   then the stock; whatever fails gives back what was taken and deletes the order.
4. The cart is completed (read-only, pointing at the order), and the order is paid when a
   payment is given. A declined payment leaves the order PENDING with its stock held, to
   be paid with `payOrder`.

A guest's order gets a random token, stored hashed on the order and kept on the cart: a
retry of the checkout (the same cart and idempotency key) shows it again.
"""

import hashlib
import secrets
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.checkout.cart_pricing import CartPricing, discount_customer
from shopgraph.checkout.cart_view import CartProblemCode, CartView
from shopgraph.checkout.carts import Caller, Carts, CartStatus, NotYourCart, may_change, no_cart
from shopgraph.checkout.discount_codes import DiscountCode, DiscountCodes
from shopgraph.checkout.discount_uses import DiscountUses
from shopgraph.checkout.order_lines import MAX_KEY_LENGTH, OrderLine, cart_key, line_order
from shopgraph.checkout.orders import Orders
from shopgraph.checkout.placing import (
    check_amounts,
    new_order,
    open_order,
    order_items,
    settled,
    within_held_units,
)
from shopgraph.checkout.shipping_methods import ShippingMethods
from shopgraph.datasources.orders import DuplicateIdempotencyKey
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem, reject_any

TOKEN_BYTES = 24
MAX_TOKEN_LENGTH = 100
MAX_CODE_LENGTH = 50
# Wrong codes one cart may try: enough for typos, too few to guess codes with.
MAX_CODE_FAILURES = 10

# The userError code a blocking problem is reported with at checkout.
PROBLEM_ERRORS = {
    CartProblemCode.OUT_OF_STOCK: ErrorCode.OUT_OF_STOCK,
    CartProblemCode.INSUFFICIENT_STOCK: ErrorCode.OUT_OF_STOCK,
    CartProblemCode.UNAVAILABLE: ErrorCode.NOT_FOUND,
    CartProblemCode.SHIPPING_METHOD_UNAVAILABLE: ErrorCode.SHIPPING_METHOD_REQUIRED,
    CartProblemCode.DISCOUNT_NOT_APPLICABLE: ErrorCode.DISCOUNT_CODE_INVALID,
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: Document
    token: str | None  # a guest's order's token
    payment_refusal: DomainError | None  # the order stays PENDING, payable again


@dataclass(frozen=True, slots=True)
class DiscountClaim:
    """One use of a code, taken by an order as it is placed (see `placing.Claim`)."""

    uses: DiscountUses
    code: DiscountCode
    order_id: ObjectId
    customer: str

    async def take(self) -> None:
        await self.uses.take(self.code, self.order_id, self.customer)

    async def give_back(self) -> None:
        await self.uses.give_back(self.order_id)


@dataclass(frozen=True, slots=True)
class CartCheckout:
    carts: Carts
    pricing: CartPricing
    shipping_methods: ShippingMethods
    discount_codes: DiscountCodes
    discount_uses: DiscountUses
    orders: Orders

    async def select_shipping_method(
        self, cart_id: str, caller: Caller, method_id: ObjectId
    ) -> Document:
        """Raises DomainError: no shipping address yet, or the method does not ship there."""

        async def selecting(cart: Document) -> tuple[Document, tuple[str, ...]]:
            address = cart.get("shippingAddress")
            if address is None:
                raise DomainError(
                    ErrorCode.SHIPPING_ADDRESS_REQUIRED,
                    "Set the shipping address first: the methods depend on its country.",
                    "shippingMethodId",
                )
            method = await self.shipping_methods.get(method_id)
            if method is None or not method.active or not method.ships_to(address["country"]):
                raise DomainError(
                    ErrorCode.NOT_FOUND,
                    "There is no such shipping method for this address; pick one of the cart's "
                    "availableShippingMethods.",
                    "shippingMethodId",
                )
            return {"shippingMethodId": method_id}, ()

        return await self.carts.change(cart_id, caller, selecting)

    async def apply_discount_code(self, cart_id: str, caller: Caller, code: str) -> Document:
        """Refuses a code that does not exist or cannot apply now (DISCOUNT_CODE_INVALID) or
        that is used up (DISCOUNT_CODE_EXHAUSTED); one that needs a larger subtotal is kept,
        and the cart says so until it applies. Each cart may get a few codes wrong."""
        code = code.strip()
        cart = await self.carts.get(cart_id, caller)
        if cart is None:
            raise no_cart()
        if cart.get("discountFailures", 0) >= MAX_CODE_FAILURES:
            raise DomainError(
                ErrorCode.TOO_MANY_ATTEMPTS,
                "Too many wrong codes for this cart.",
                "code",
            )
        found = await self.discount_codes.find(code) if len(code) <= MAX_CODE_LENGTH else None
        if found is None:
            await self.carts.change(cart_id, caller, _one_more_failure)
            raise DomainError(ErrorCode.DISCOUNT_CODE_INVALID, "There is no such code.", "code")
        goods = await self.pricing.goods_subtotal(cart)
        why_not = await self.pricing.why_not(found, goods, discount_customer(cart))
        if why_not is not None and not why_not.below_minimum:
            message = f"The code {found.code} cannot be used: {why_not.message}"
            raise DomainError(why_not.code, message, "code")

        async def applying(cart: Document) -> tuple[Document, tuple[str, ...]]:
            return {"discountCode": found.code}, ()

        return await self.carts.change(cart_id, caller, applying)

    async def complete(
        self, cart_id: str, caller: Caller, payment_token: str | None, key: str | None
    ) -> CheckoutResult:
        """Raises NotYourCart, DomainError (InvalidInput with every missing thing)."""
        if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
            message = f"The idempotency key must be 1 to {MAX_KEY_LENGTH} characters."
            raise DomainError(ErrorCode.INVALID, message, "idempotencyKey")
        cart = await self.carts.get(cart_id, caller)
        if cart is None:
            raise no_cart()
        if not may_change(caller, cart):
            raise NotYourCart(cart_id)
        if cart["status"] != CartStatus.OPEN:
            return await self._again(cart, key, payment_token)
        view = await self.pricing.view(cart)
        email = cart.get("email") or await self._account_email(cart)
        reject_any(_missing(view, email))
        lines = [
            OrderLine(line.product_id, line.variant_id, line.quantity, f"lines.{index}", True)
            for index, line in enumerate(view.lines)
        ]
        lines.sort(key=line_order)
        checkout = self.orders.checkout
        within_held_units(checkout, lines)
        products = {line.product_id: line.product for line in view.lines if line.product}
        order = self._order(view, str(email), lines, products, key)
        token = None
        if order["userId"] is None:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            order["tokenHash"] = token_hash(token)
        try:
            await checkout.datasources.orders.insert(order)
        except DuplicateIdempotencyKey:
            return await self._raced(cart, key, payment_token)
        claims = []
        code = view.discount_code
        if code is not None:
            customer = discount_customer({**cart, "email": email}) or f"email:{email}"
            claims.append(DiscountClaim(self.discount_uses, code, order["_id"], customer))
        await open_order(checkout, order, lines, products, claims)
        await self.carts.complete(cart, order["_id"], {"checkoutKey": key, "orderToken": token})
        return await self._paid(order, token, payment_token)

    def _order(
        self,
        view: CartView,
        email: str,
        lines: list[OrderLine],
        products: dict[ObjectId, Document],
        key: str | None,
    ) -> Document:
        cart, cost = view.cart, view.cost
        items = order_items(lines, products)
        checkout = self.orders.checkout
        check_amounts(
            checkout,
            [item["lineTotal"] for item in items]
            + [cost.subtotal, cost.shipping, cost.tax, cost.discount, cost.total],
        )
        order = new_order(checkout, cart.get("userId"), items)
        method = view.shipping_method
        assert method is not None, "checked by _missing"
        order.update(
            subtotal=cost.subtotal,
            shippingTotal=cost.shipping,
            taxTotal=cost.tax,
            discountTotal=cost.discount,
            total=cost.total,
            taxIncluded=cost.tax_included,
            email=email,
            shippingAddress=cart["shippingAddress"],
            billingAddress=cart.get("billingAddress") or cart["shippingAddress"],
            shippingMethod={"id": method.id, "name": method.name, "price": cost.shipping},
            discounts=[],
            cartId=cart["_id"],
            cartKey=cart_key(lines),
        )
        code = view.discount_code
        if code is not None:
            order["discounts"] = [{"code": code.code, "amount": cost.discount}]
        if order["userId"] is None:
            order["guestEmail"] = email
        if key is not None:
            order["checkoutKey"] = key
        return order

    async def _account_email(self, cart: Document) -> str | None:
        if cart.get("userId") is None:
            return None
        users = self.orders.checkout.datasources.users
        found = await users.by_ids([cart["userId"]], ["email"])
        user = found.get(cart["userId"])
        return None if user is None else user["email"]

    async def _raced(
        self, cart: Document, key: str | None, payment_token: str | None
    ) -> CheckoutResult:
        """Another checkout of this cart inserted its order first (or a process died after
        placing it and before completing the cart): its outcome decides."""
        orders = self.orders.checkout.datasources.orders
        existing = await settled(lambda: orders.by_cart(cart["_id"]))
        if existing is None:
            raise DomainError(
                ErrorCode.OUT_OF_STOCK, "Another checkout of this cart just failed; try again."
            )
        extra = {"checkoutKey": existing.get("checkoutKey"), "orderToken": cart.get("orderToken")}
        await self.carts.complete(cart, existing["_id"], extra)
        current = await self.carts.get(cart["_id"], Caller(cart.get("userId")))
        return await self._again(current or cart, key, payment_token)

    async def _again(
        self, cart: Document, key: str | None, payment_token: str | None
    ) -> CheckoutResult:
        """A checkout of a completed cart is a retry when it brings the same key."""
        if (
            cart["status"] == CartStatus.COMPLETED
            and key is not None
            and cart.get("checkoutKey") == key
        ):
            order = await self.orders.get(cart["orderId"])
            if order is not None:
                return await self._paid(order, cart.get("orderToken"), payment_token)
        if cart["status"] == CartStatus.MERGED:
            message = "This cart was merged into your cart; check that one out."
        else:
            message = "This cart was checked out already; start a new cart."
        raise DomainError(ErrorCode.CART_COMPLETED, message, "cartId")

    async def _paid(
        self, order: Document, token: str | None, payment_token: str | None
    ) -> CheckoutResult:
        if payment_token is None or order["status"] != "PENDING":
            return CheckoutResult(order, token, None)
        try:
            paid = await self.orders.pay(order, payment_token)
        except DomainError as refusal:
            current = await self.orders.get(order["_id"]) or order
            return CheckoutResult(current, token, refusal)
        return CheckoutResult(paid, token, None)


def _missing(view: CartView, email: str | None) -> list[Problem]:
    """Everything that stops this cart's checkout, each with the code a client acts on."""
    problems: list[Problem] = []
    cart = view.cart
    if not view.lines:
        problems.append(Problem("cartId", "The cart is empty.", ErrorCode.CART_EMPTY))
    if not email:
        message = "Give an email for the order confirmation (cartSetEmail)."
        problems.append(Problem("cartId", message, ErrorCode.EMAIL_REQUIRED))
    if cart.get("shippingAddress") is None:
        message = "Give a shipping address (cartSetShippingAddress)."
        problems.append(Problem("cartId", message, ErrorCode.SHIPPING_ADDRESS_REQUIRED))
    elif cart.get("shippingMethodId") is None:
        message = "Choose a shipping method (cartSelectShippingMethod)."
        problems.append(Problem("cartId", message, ErrorCode.SHIPPING_METHOD_REQUIRED))
    for problem in view.problems:
        if problem.blocking:
            code = PROBLEM_ERRORS[problem.code]
            refusal = view.discount_refusal
            if problem.code is CartProblemCode.DISCOUNT_NOT_APPLICABLE and refusal is not None:
                code = refusal.code
            problems.append(Problem("cartId", problem.message, code))
    return problems


async def _one_more_failure(cart: Document) -> tuple[Document, tuple[str, ...]]:
    return {"discountFailures": cart.get("discountFailures", 0) + 1}, ()
