"""The cart service: what shoppers mean to buy, kept on the server between visits.

A cart holds no stock: it always shows today's prices and stock and says what is wrong
(`checkout.cart_view`), and stock is taken only when it is checked out
(`checkout.completing`). A guest's cart is reached by its id alone, which is random; a
customer's cart is theirs alone, and a customer has one open cart, into which a guest
cart merges when they log in (`assign`).

Each change reads the cart, computes the new one and writes it if nobody changed it
meanwhile (a compare-and-set on its version), retrying a few times: two tabs adding lines
at once both count.
"""

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bson import ObjectId

from shopgraph.auth.account_rules import email_problems, normalize_email
from shopgraph.checkout.cart_lines import (
    CartLimits,
    line_problems,
    merged,
    resolved,
    with_added,
    with_quantities,
)
from shopgraph.checkout.order_lines import RequestedLine
from shopgraph.clock import utc_now
from shopgraph.datasources.carts import CartsDatasource, CustomerHasOpenCart
from shopgraph.datasources.product_variants import stored_variants
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem, reject_any

# 18 random bytes: 144 bits, more than the 128 a guessable id would need to stay unguessed.
CART_ID_BYTES = 18
CHANGE_RETRIES = 10
MERGED_CARTS_KEPT = 20


class CartStatus(StrEnum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"  # checked out: its order was placed
    MERGED = "MERGED"  # a guest's cart, merged into the customer's when they logged in


class NotYourCart(Exception):
    """The cart is another customer's: the caller may not see or change it."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks: a customer (or admin) by id, or a guest (None)."""

    user_id: ObjectId | None
    admin: bool = False


# A change of a cart: the fields to set, and those to remove.
CartChange = tuple[Document, Sequence[str]]


def new_cart_id() -> str:
    return secrets.token_urlsafe(CART_ID_BYTES)


def may_read(caller: Caller, cart: Document) -> bool:
    """A guest's cart is anyone's who has its id; a customer's is theirs (and admins')."""
    owner = cart.get("userId")
    return owner is None or owner == caller.user_id or caller.admin


def may_change(caller: Caller, cart: Document) -> bool:
    owner = cart.get("userId")
    return owner is None or owner == caller.user_id


@dataclass(frozen=True, slots=True)
class Carts:
    carts: CartsDatasource
    products: ProductsDatasource
    limits: CartLimits
    lifetime: timedelta  # how long a cart nobody changes is kept

    async def get(self, cart_id: str, caller: Caller) -> Document | None:
        """None for a cart that does not exist or expired. Raises NotYourCart."""
        cart = await self.carts.by_id(cart_id, utc_now())
        if cart is not None and not may_read(caller, cart):
            raise NotYourCart(cart_id)
        return cart

    async def open_cart_of(self, user_id: ObjectId) -> Document | None:
        return await self.carts.open_of(user_id, utc_now())

    async def create(
        self, caller: Caller, lines: Sequence[RequestedLine], email: str | None
    ) -> Document:
        """A customer's cart is their open one: a new one only when they have none.
        Raises InvalidInput."""
        problems = line_problems(lines, "input.lines", self.limits) if lines else []
        if email is not None:
            problems += _email_problems(email, "input.email")
        reject_any(problems)
        added = await self._resolved(lines, "input.lines")
        for _ in range(CHANGE_RETRIES):
            if caller.user_id is not None:
                mine = await self.open_cart_of(caller.user_id)
                if mine is not None:
                    return await self.change(
                        mine["_id"], caller, lambda cart: self._adding(cart, added, email)
                    )
            cart = self._new(caller.user_id, added, email)
            try:
                await self.carts.insert(cart)
            except CustomerHasOpenCart:
                continue  # created by a racing request: add to that one
            return cart
        raise _busy()

    def _new(
        self,
        user_id: ObjectId | None,
        added: Sequence[tuple[ObjectId, ObjectId, int, int]],
        email: str | None,
    ) -> Document:
        now = utc_now()
        cart: Document = {
            "_id": new_cart_id(),
            "version": 0,
            "status": CartStatus.OPEN,
            "lines": with_added([], added, self.limits, "input.lines"),
            "createdAt": now,
            "updatedAt": now,
            "expiresAt": now + self.lifetime,
        }
        if user_id is not None:
            cart["userId"] = cart["openFor"] = user_id
        if email is not None:
            cart["email"] = normalize_email(email)
        return cart

    async def add_lines(
        self, cart_id: str, caller: Caller, lines: Sequence[RequestedLine]
    ) -> Document:
        reject_any(line_problems(lines, "lines", self.limits))
        added = await self._resolved(lines, "lines")
        return await self.change(cart_id, caller, lambda cart: self._adding(cart, added, None))

    async def _adding(
        self,
        cart: Document,
        added: Sequence[tuple[ObjectId, ObjectId, int, int]],
        email: str | None,
    ) -> CartChange:
        changes: Document = {"lines": with_added(cart["lines"], added, self.limits, "lines")}
        if email is not None:
            changes["email"] = normalize_email(email)
        return changes, ()

    async def update_lines(
        self, cart_id: str, caller: Caller, changes: Sequence[tuple[ObjectId | Problem, int]]
    ) -> Document:
        """Quantities by line id; 0 removes the line."""
        if not 1 <= len(changes) <= self.limits.max_lines:
            reject_any([Problem("lines", f"Give 1 to {self.limits.max_lines} lines.")])

        async def updating(cart: Document) -> CartChange:
            prices = await self._prices(cart)
            lines = with_quantities(cart["lines"], changes, prices, self.limits, "lines")
            return {"lines": lines}, ()

        return await self.change(cart_id, caller, updating)

    async def remove_lines(
        self, cart_id: str, caller: Caller, line_ids: Sequence[ObjectId | Problem]
    ) -> Document:
        return await self.update_lines(cart_id, caller, [(line_id, 0) for line_id in line_ids])

    async def set_email(self, cart_id: str, caller: Caller, email: str) -> Document:
        reject_any(_email_problems(email, "email"))

        async def setting(cart: Document) -> CartChange:
            return {"email": normalize_email(email)}, ()

        return await self.change(cart_id, caller, setting)

    async def set_fields(
        self, cart_id: str, caller: Caller, changes: Document, removed: Sequence[str] = ()
    ) -> Document:
        """Sets checked values (an address, a shipping method, a discount code)."""

        async def setting(cart: Document) -> CartChange:
            return changes, removed

        return await self.change(cart_id, caller, setting)

    async def assign(self, cart_id: str, user_id: ObjectId) -> Document:
        """After login: a guest's cart becomes the customer's, or, when they already have
        an open cart, merges into it (lines added up; email, addresses, shipping method and
        discount code kept from the customer's cart where it has them). Returns the
        customer's cart. Raises NotYourCart, DomainError."""
        caller = Caller(user_id)
        for _ in range(CHANGE_RETRIES):
            cart = await self.get(cart_id, caller)
            if cart is None:
                raise no_cart()
            if cart.get("userId") == user_id and cart["status"] == CartStatus.OPEN:
                return cart
            if cart["status"] == CartStatus.MERGED and cart.get("userId") == user_id:
                return await self._merge(cart, user_id)  # finish a merge cut short
            _check_open(cart)
            mine = await self.open_cart_of(user_id)
            try:
                if mine is None:
                    assigned = await self.carts.replace_if(
                        cart, {"userId": user_id, "openFor": user_id, **self._touched()}
                    )
                    if assigned is not None:
                        return assigned
                    continue
            except CustomerHasOpenCart:
                continue  # their cart appeared meanwhile: merge into it
            changes = {"status": CartStatus.MERGED, "userId": user_id, "mergedInto": mine["_id"]}
            marked = await self.carts.replace_if(cart, changes)
            if marked is not None:
                return await self._merge(marked, user_id)
        raise _busy()

    async def _merge(self, guest: Document, user_id: ObjectId) -> Document:
        """Adds a merged guest cart to the customer's cart once: the customer's cart lists
        the carts merged into it."""

        async def merging(cart: Document) -> CartChange:
            done = cart.get("mergedCarts", [])
            if guest["_id"] in done:
                return {}, ()
            changes: Document = {
                "lines": merged(cart["lines"], guest["lines"], self.limits),
                "mergedCarts": [*done, guest["_id"]][-MERGED_CARTS_KEPT:],
            }
            for field in ("email", "shippingAddress", "billingAddress", "shippingMethodId"):
                if field not in cart and field in guest:
                    changes[field] = guest[field]
            if "discountCode" not in cart and "discountCode" in guest:
                changes["discountCode"] = guest["discountCode"]
            return changes, ()

        return await self.change(guest["mergedInto"], Caller(user_id), merging)

    async def complete(self, cart: Document, order_id: ObjectId, extra: Document) -> None:
        """Makes a checked-out cart read-only, whatever changed in it since it was read."""
        for _ in range(CHANGE_RETRIES):
            changes = {"status": CartStatus.COMPLETED, "orderId": order_id, **extra}
            if await self.carts.replace_if(cart, changes, ["openFor"]) is not None:
                return
            current = await self.carts.by_id(cart["_id"], utc_now())
            if current is None or current.get("orderId") == order_id:
                return
            cart = current
        raise _busy()

    async def change(
        self,
        cart_id: str,
        caller: Caller,
        change: Callable[[Document], Awaitable[CartChange]],
    ) -> Document:
        for _ in range(CHANGE_RETRIES):
            cart = await self.carts.by_id(cart_id, utc_now())
            if cart is None:
                raise no_cart()
            if not may_change(caller, cart):
                raise NotYourCart(cart_id)
            _check_open(cart)
            changes, removed = await change(cart)
            written = await self.carts.replace_if(cart, {**changes, **self._touched()}, removed)
            if written is not None:
                return written
        raise _busy()

    def _touched(self) -> Document:
        now = utc_now()
        return {"updatedAt": now, "expiresAt": now + self.lifetime}

    async def _resolved(
        self, lines: Sequence[RequestedLine], field: str
    ) -> list[tuple[ObjectId, ObjectId, int, int]]:
        if not lines:
            return []
        ids = {target.product_id for target, _ in lines if not isinstance(target, Problem)}
        products = await self.products.by_ids(ids, None)
        return resolved(lines, products, field)

    async def _prices(self, cart: Document) -> dict[ObjectId, int]:
        """Today's unit price of each of the cart's variants that still exists."""
        ids = {line["productId"] for line in cart["lines"]}
        products = await self.products.by_ids(ids, None)
        return {
            variant.id: variant.price
            for product in products.values()
            for variant in stored_variants(product)
        }


def _check_open(cart: Document) -> None:
    if cart["status"] == CartStatus.MERGED:
        raise DomainError(
            ErrorCode.CART_COMPLETED, "This cart was merged into your cart; use that one.", "cartId"
        )
    if cart["status"] != CartStatus.OPEN:
        raise DomainError(
            ErrorCode.CART_COMPLETED, "This cart was checked out; start a new cart.", "cartId"
        )


def no_cart() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "There is no such cart, or it expired.", "cartId")


def _busy() -> DomainError:
    return DomainError(ErrorCode.INVALID, "The cart kept changing while this ran; try again.")


def _email_problems(email: str, field: str) -> list[Problem]:
    return email_problems(normalize_email(email), field)
