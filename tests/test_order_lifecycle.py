"""The life of an order after it was placed: paying, cancelling, expiring, an admin moving
it along; who may see and change which order; and what a page of orders costs in queries."""

import asyncio
import base64
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import ObjectId

from shopgraph.checkout.orders import Orders
from shopgraph.datasources.client import Datasources
from shopgraph.datasources.orders import OrdersDatasource
from shopgraph.integrations import payments
from tests.conftest import account
from tests.factories import global_id, product_document
from tests.helpers import order_service

# --- operations ---------------------------------------------------------------------------

ORDER_FIELDS = """
  id number status holdExpiresAt
  subtotal { amount currency } total { amount currency }
  user { id name }
  items { productId sku name quantity unitPrice { amount currency } lineTotal { amount }
          product { id name } }
"""
PLACE = f"""mutation Place($items: [OrderLineInput!]!) {{
  placeOrder(input: {{items: $items}}) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
PAY = f"""mutation Pay($id: ID!, $token: String!) {{
  payOrder(id: $id, payment: {{token: $token}}) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
CANCEL = f"""mutation Cancel($id: ID!) {{
  cancelOrder(id: $id) {{ order {{ {ORDER_FIELDS} }} userErrors {{ field message code }} }}
}}"""
UPDATE_STATUS = f"""mutation Move($id: ID!, $status: OrderStatus!) {{
  updateOrderStatus(id: $id, status: $status) {{
    order {{ {ORDER_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
ORDER = f"query One($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDERS = """query Mine($first: Int, $after: String, $status: OrderStatus) {
  orders(first: $first, after: $after, status: $status) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id number status user { id } } }
  }
}"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename ... on Order { id number status } } }"

STATUSES = ("PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED")
LEGAL_MOVES = {
    ("PAID", "SHIPPED"),
    ("SHIPPED", "DELIVERED"),
    ("PENDING", "CANCELLED"),
    ("PAID", "CANCELLED"),
}
PAST = datetime(2020, 1, 1, tzinfo=UTC)


# --- helpers ------------------------------------------------------------------------------


def oid(order_global_id: str) -> ObjectId:
    type_name, _, raw = base64.b64decode(order_global_id).decode().partition(":")
    assert type_name == "Order", order_global_id
    return ObjectId(raw)


def sweeper(db) -> Orders:
    return order_service(
        Datasources.for_database(db), payments.TestGateway(), "shop@x", grace=timedelta(0)
    )


async def add_products(db, count: int = 1, **overrides: Any) -> list[dict[str, Any]]:
    documents = [product_document(**overrides) for _ in range(count)]
    await db.products.insert_many(documents)
    return documents


async def place(gql, who, *lines: tuple[dict[str, Any], int]) -> dict[str, Any]:
    """Places an order of (product document, quantity) lines; returns the Order."""
    items = [{"productId": global_id("Product", p["_id"]), "quantity": q} for p, q in lines]
    body = await gql(PLACE, {"items": items}, headers=who.headers)
    payload = body["data"]["placeOrder"]
    assert payload["userErrors"] == [], body
    assert payload["order"]["status"] == "PENDING", body
    return payload["order"]


def payload_of(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"][field]


def succeeded(body: dict[str, Any], field: str, status: str) -> dict[str, Any]:
    payload = payload_of(body, field)
    assert payload["userErrors"] == [], body
    assert payload["order"]["status"] == status, body
    return payload["order"]


def user_error_code(body: dict[str, Any], field: str) -> str:
    payload = payload_of(body, field)
    assert payload["order"] is None, body
    [error] = payload["userErrors"]
    return error["code"]


def refused(body: dict[str, Any], field: str, code: str, data: Any = None) -> str:
    """One GraphQL error at `field` with `code`; returns its message."""
    assert body.get("data") == data, body
    [error] = body["errors"]
    assert error["path"] == [field], error
    assert error["extensions"]["code"] == code, error
    return error["message"]


async def pay(gql, who, order: dict[str, Any], token: str = "tok_visa") -> dict[str, Any]:
    body = await gql(PAY, {"id": order["id"], "token": token}, headers=who.headers)
    return succeeded(body, "payOrder", "PAID")


async def move(gql, admin, order: dict[str, Any], status: str) -> dict[str, Any]:
    body = await gql(UPDATE_STATUS, {"id": order["id"], "status": status}, headers=admin.headers)
    return succeeded(body, "updateOrderStatus", status)


async def order_in(gql, owner, admin, status: str, product: dict[str, Any], quantity: int = 2):
    """An order of `quantity` units of `product`, brought to `status` through the API."""
    order = await place(gql, owner, (product, quantity))
    if status in ("PAID", "SHIPPED", "DELIVERED"):
        order = await pay(gql, owner, order)
    if status in ("SHIPPED", "DELIVERED"):
        order = await move(gql, admin, order, "SHIPPED")
    if status == "DELIVERED":
        order = await move(gql, admin, order, "DELIVERED")
    if status == "CANCELLED":
        body = await gql(CANCEL, {"id": order["id"]}, headers=owner.headers)
        order = succeeded(body, "cancelOrder", "CANCELLED")
    assert order["status"] == status
    return order


async def stock_of(db, product: dict[str, Any]) -> int:
    return (await db.products.find_one({"_id": product["_id"]}))["stock"]


async def order_document(db, order: dict[str, Any]) -> dict[str, Any]:
    document = await db.orders.find_one({"_id": oid(order["id"])})
    assert document is not None
    return document


async def assert_no_stock_markers(db) -> None:
    async for product in db.products.find({}):
        assert not product.get("returns"), product
        assert not product.get("holds"), product


# --- paying -------------------------------------------------------------------------------


async def test_paying_with_a_good_card_marks_the_order_paid_and_queues_one_confirmation(
    db, gql, customer
):
    [product] = await add_products(db, price=1250)
    order = await place(gql, customer, (product, 2))

    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers)

    paid = succeeded(body, "payOrder", "PAID")
    assert paid["id"] == order["id"]
    assert paid["total"] == {"amount": "25.00", "currency": "USD"}
    assert paid["holdExpiresAt"] is None  # only a PENDING order has a hold
    document = await order_document(db, order)
    assert document["status"] == "PAID"
    payment = document["payment"]
    assert payment["gateway"] == "test"
    assert payment["reference"].startswith("test_ch_")
    assert (payment["amount"], payment["currency"]) == (2500, "USD")
    assert isinstance(document["paidAt"], datetime)
    assert document["confirmation"] == "QUEUED"
    [message] = await db.outbox.find({}).to_list()
    assert message["_id"] == f"order-confirmation:{document['_id']}"
    assert message["orderId"] == document["_id"]
    assert message["to"] == customer.email
    assert f"#{document['number']}" in message["subject"]
    assert await stock_of(db, product) == 8  # paying keeps the stock taken


@pytest.mark.parametrize(
    ("token", "code"),
    [("tok_chargeDeclined", "PAYMENT_DECLINED"), ("tok_processingError", "PAYMENT_FAILED")],
)
async def test_a_failed_payment_leaves_the_order_pending_and_unpaid(
    db, gql, customer, monkeypatch, token, code
):
    [product] = await add_products(db)
    order = await place(gql, customer, (product, 2))
    attempts: list[str] = []
    authorize = payments.TestGateway.authorize

    async def counting_authorize(self, amount, currency, token, idempotency_key):
        attempts.append(token)
        return await authorize(self, amount, currency, token, idempotency_key)

    monkeypatch.setattr(payments.TestGateway, "authorize", counting_authorize)

    body = await gql(PAY, {"id": order["id"], "token": token}, headers=customer.headers)

    payload = payload_of(body, "payOrder")
    assert payload["order"] is None
    [error] = payload["userErrors"]
    assert error["code"] == code
    if code == "PAYMENT_DECLINED":
        assert error["field"] == ["payment", "token"]
        assert len(attempts) == 1  # a declined card is final
    else:
        assert len(attempts) == 3  # an unavailable gateway is retried, then given up on
    document = await order_document(db, order)
    assert document["status"] == "PENDING"
    assert "payment" not in document and "paidAt" not in document
    assert "confirmation" not in document
    assert await db.outbox.find({}).to_list() == []
    assert await stock_of(db, product) == 8
    # The customer can still pay with another card.
    await pay(gql, customer, order)


async def test_paying_twice_is_an_invalid_transition_and_confirms_once(db, gql, customer):
    [product] = await add_products(db)
    order = await place(gql, customer, (product, 1))
    await pay(gql, customer, order)
    first_payment = (await order_document(db, order))["payment"]

    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers)

    assert user_error_code(body, "payOrder") == "INVALID_TRANSITION"
    document = await order_document(db, order)
    assert document["status"] == "PAID"
    assert document["payment"] == first_payment
    assert len(await db.outbox.find({}).to_list()) == 1


async def test_a_cancelled_order_cannot_be_paid(db, gql, customer):
    [product] = await add_products(db)
    order = await order_in(gql, customer, None, "CANCELLED", product)

    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers)

    assert user_error_code(body, "payOrder") == "INVALID_TRANSITION"
    document = await order_document(db, order)
    assert document["status"] == "CANCELLED" and "payment" not in document
    assert await db.outbox.find({}).to_list() == []


async def test_paying_twice_at_once_charges_once_and_keeps_the_payment(
    db, gql, customer, monkeypatch
):
    """The gateway's idempotency keys are per order, so racing payOrder calls share one
    charge: a loser must not refund it while the order stays PAID."""
    [product] = await add_products(db, price=1500)
    order = await place(gql, customer, (product, 1))
    authorize, refund = payments.TestGateway.authorize, payments.TestGateway.refund
    arrived: list[str] = []
    both_arrived = asyncio.Event()
    refunded: list[str] = []

    async def authorize_together(self, amount, currency, token, idempotency_key):
        """Both requests reach the gateway before either marks the order PAID (if the app
        lets a second one through at all: otherwise the first goes on alone)."""
        arrived.append(idempotency_key)
        if len(arrived) == 2:
            both_arrived.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_arrived.wait(), timeout=0.5)
        return await authorize(self, amount, currency, token, idempotency_key)

    async def recording_refund(self, reference, amount, idempotency_key):
        refunded.append(reference)
        return await refund(self, reference, amount, idempotency_key)

    monkeypatch.setattr(payments.TestGateway, "authorize", authorize_together)
    monkeypatch.setattr(payments.TestGateway, "refund", recording_refund)

    bodies = await asyncio.gather(
        *(
            gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers)
            for _ in range(2)
        )
    )

    payloads = [payload_of(body, "payOrder") for body in bodies]
    [won] = [p for p in payloads if p["order"] is not None]
    [lost] = [p for p in payloads if p["order"] is None]
    assert won["order"]["status"] == "PAID"
    assert [e["code"] for e in lost["userErrors"]] == ["INVALID_TRANSITION"]
    document = await order_document(db, order)
    assert document["status"] == "PAID"
    assert document["payment"]["amount"] == 1500
    assert refunded == [], (
        f"the order's only charge {document['payment']['reference']} was refunded"
    )
    assert "refund" not in document, document["refund"]
    assert len(await db.outbox.find({}).to_list()) == 1


async def test_a_charge_that_loses_to_another_attempts_charge_is_refunded_quietly(
    db, gql, customer, monkeypatch
):
    """While a card is being charged, a racing request's decline ends the attempt and a
    third request pays under the next one: the order keeps the charge that paid it, and
    the other charge goes back without being recorded on the order as its refund."""
    [product] = await add_products(db, price=900)
    order = await place(gql, customer, (product, 1))
    capture, refund = payments.TestGateway.capture, payments.TestGateway.refund
    refunded: list[str] = []
    refunds: list[str] = []  # the gateway's references of the refunds
    captured: list[str] = []

    async def capture_while_others_pay(self, authorization, amount, idempotency_key):
        charge = await capture(self, authorization, amount, idempotency_key)
        captured.append(charge.reference)
        if len(captured) == 1:  # the first request, before it marks the order PAID
            # A racing request's decline ended the attempt (as `next_payment_attempt` does).
            await db.orders.update_one({"_id": oid(order["id"])}, {"$inc": {"paymentAttempt": 1}})
            await pay(gql, customer, order)
        return charge

    async def recording_refund(self, reference, amount, idempotency_key):
        refunded.append(reference)
        refunds.append(await refund(self, reference, amount, idempotency_key))
        return refunds[-1]

    monkeypatch.setattr(payments.TestGateway, "capture", capture_while_others_pay)
    monkeypatch.setattr(payments.TestGateway, "refund", recording_refund)

    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers)

    assert user_error_code(body, "payOrder") == "INVALID_TRANSITION"
    first, second = captured
    assert first != second
    document = await order_document(db, order)
    assert document["status"] == "PAID"
    assert document["payment"]["reference"] == second
    assert refunded == [first]
    assert "refund" not in document
    [stray] = await db.stray_charges.find({}).to_list()
    assert (stray["_id"], stray["status"], stray["refund"]) == (first, "REFUNDED", refunds[0])
    assert len(await db.outbox.find({}).to_list()) == 1
    assert await stock_of(db, product) == 9

    # Cancelling refunds the charge that paid the order, not the one already given back.
    await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)
    assert refunded == [first, second]
    assert refunds[0] != refunds[1], "the second refund replayed the first"
    refund_record = (await order_document(db, order))["refund"]
    assert refund_record == {"status": "DONE", "reference": refunds[1], "amount": 900}


async def test_an_order_that_expires_while_its_card_is_charged_is_refunded(
    db, gql, customer, monkeypatch
):
    [product] = await add_products(db, price=700)
    order = await place(gql, customer, (product, 3))
    capture = payments.TestGateway.capture

    async def capture_then_expire(self, authorization, amount, idempotency_key):
        charge = await capture(self, authorization, amount, idempotency_key)
        await db.orders.update_one({"_id": oid(order["id"])}, {"$set": {"holdExpiresAt": PAST}})
        assert await sweeper(db).expire_holds() == 1
        return charge

    monkeypatch.setattr(payments.TestGateway, "capture", capture_then_expire)

    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers)

    assert user_error_code(body, "payOrder") == "INVALID_TRANSITION"
    document = await order_document(db, order)
    assert document["status"] == "CANCELLED"
    assert document["cancelReason"] == "hold expired"
    assert "payment" not in document and "refund" not in document  # it never was paid
    [stray] = await db.stray_charges.find({}).to_list()
    assert stray["orderId"] == oid(order["id"])
    assert (stray["amount"], stray["currency"], stray["status"]) == (2100, "USD", "REFUNDED")
    assert stray["refund"].startswith("test_re_")
    assert await stock_of(db, product) == 10
    assert await db.outbox.find({}).to_list() == []
    await assert_no_stock_markers(db)


async def test_a_stray_charge_whose_refund_fails_is_refunded_by_the_sweep(
    db, gql, customer, monkeypatch
):
    [product] = await add_products(db, price=700)
    order = await place(gql, customer, (product, 1))
    capture, refund = payments.TestGateway.capture, payments.TestGateway.refund

    async def capture_then_expire(self, authorization, amount, idempotency_key):
        charge = await capture(self, authorization, amount, idempotency_key)
        await db.orders.update_one({"_id": oid(order["id"])}, {"$set": {"holdExpiresAt": PAST}})
        assert await sweeper(db).expire_holds() == 1
        return charge

    async def gateway_down(self, reference, amount, idempotency_key):
        raise payments.PaymentUnavailable("down")

    monkeypatch.setattr(payments.TestGateway, "capture", capture_then_expire)
    monkeypatch.setattr(payments.TestGateway, "refund", gateway_down)

    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers)

    assert user_error_code(body, "payOrder") == "INVALID_TRANSITION"
    [stray] = await db.stray_charges.find({}).to_list()
    assert (stray["amount"], stray["status"]) == (700, "PENDING")

    monkeypatch.setattr(payments.TestGateway, "refund", refund)  # the gateway is back
    await sweeper(db).recover()

    [stray] = await db.stray_charges.find({}).to_list()
    assert stray["status"] == "REFUNDED"
    assert stray["refund"].startswith("test_re_")
    await sweeper(db).recover()  # nothing more to do
    assert await db.stray_charges.count_documents({"status": "REFUNDED"}) == 1


async def test_the_sweep_refunds_stray_charges_oldest_first_past_one_that_fails(db, monkeypatch):
    refund = payments.TestGateway.refund
    order_id = ObjectId()
    for n, reference in enumerate(["ch_refused", "ch_fine"]):
        await db.stray_charges.insert_one(
            {
                "_id": reference,
                "reference": reference,
                "orderId": order_id,
                "gateway": "test",
                "amount": 500,
                "currency": "USD",
                "status": "PENDING",
                "recordedAtMs": 1_000 + n,
            }
        )
    attempted: list[str] = []

    async def refuses_one(self, reference, amount, idempotency_key):
        attempted.append(reference)
        if reference == "ch_refused":
            raise RuntimeError("the gateway rejects this request")
        return await refund(self, reference, amount, idempotency_key)

    monkeypatch.setattr(payments.TestGateway, "refund", refuses_one)

    await sweeper(db).recover()

    assert attempted == ["ch_refused", "ch_fine"]
    statuses = {c["_id"]: c["status"] async for c in db.stray_charges.find({})}
    assert statuses == {"ch_refused": "PENDING", "ch_fine": "REFUNDED"}


# --- cancelling ---------------------------------------------------------------------------


async def test_cancelling_a_pending_order_returns_its_stock(db, gql, customer):
    first, second = await add_products(db, 2)
    order = await place(gql, customer, (first, 3), (second, 1))
    assert (await stock_of(db, first), await stock_of(db, second)) == (7, 9)

    body = await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)

    succeeded(body, "cancelOrder", "CANCELLED")
    assert (await stock_of(db, first), await stock_of(db, second)) == (10, 10)
    document = await order_document(db, order)
    assert document["stockReturn"] == "DONE"
    assert "refund" not in document  # nothing was paid
    await assert_no_stock_markers(db)

    again = await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)
    assert user_error_code(again, "cancelOrder") == "INVALID_TRANSITION"
    assert (await stock_of(db, first), await stock_of(db, second)) == (10, 10)


async def test_cancelling_a_paid_order_refunds_the_payment_and_returns_the_stock(db, gql, customer):
    [product] = await add_products(db, price=999)
    order = await place(gql, customer, (product, 3))
    await pay(gql, customer, order)
    payment = (await order_document(db, order))["payment"]

    body = await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)

    succeeded(body, "cancelOrder", "CANCELLED")
    document = await order_document(db, order)
    refund = document["refund"]
    assert refund["status"] == "DONE"
    assert refund["reference"].startswith("test_re_")
    assert refund["amount"] == payment["amount"] == 2997
    assert document["payment"] == payment
    assert await stock_of(db, product) == 10
    await assert_no_stock_markers(db)


async def test_an_order_paid_while_it_is_being_cancelled_is_refunded_even_by_the_sweep(
    db, gql, customer, monkeypatch
):
    """The payment lands just before the cancel's own update: the cancel still records a
    refund it owes, so a refund the gateway cannot make now is made by the sweep."""
    [product] = await add_products(db, price=450)
    order = await place(gql, customer, (product, 2))
    transition, refund = OrdersDatasource.transition, payments.TestGateway.refund
    paid_first: list[dict[str, Any]] = []

    async def paid_just_before_cancelling(self, order_id, from_statuses, to_status, *a, **kw):
        if to_status == "CANCELLED" and not paid_first:
            paid_first.append(await pay(gql, customer, order))
        return await transition(self, order_id, from_statuses, to_status, *a, **kw)

    async def gateway_down(self, reference, amount, idempotency_key):
        raise payments.PaymentUnavailable("down")

    monkeypatch.setattr(OrdersDatasource, "transition", paid_just_before_cancelling)
    monkeypatch.setattr(payments.TestGateway, "refund", gateway_down)

    body = await gql(CANCEL, {"id": order["id"]}, headers=customer.headers)

    assert paid_first, "the payment did not land during the cancel"
    succeeded(body, "cancelOrder", "CANCELLED")
    document = await order_document(db, order)
    assert document["payment"]["amount"] == 900
    assert document["refund"] == {"status": "PENDING"}  # owed, and known to be owed
    assert await stock_of(db, product) == 10

    monkeypatch.setattr(payments.TestGateway, "refund", refund)  # the gateway is back
    await sweeper(db).recover()

    refunded = (await order_document(db, order))["refund"]
    assert refunded["status"] == "DONE"
    assert refunded["amount"] == 900
    assert refunded["reference"].startswith("test_re_")


async def test_racing_cancels_and_the_expiry_sweep_cancel_once_and_restock_once(
    db, gql, customer, monkeypatch
):
    first, second = await add_products(db, 2, stock=50)
    order = await place(gql, customer, (first, 4), (second, 7))
    await db.orders.update_one({"_id": oid(order["id"])}, {"$set": {"holdExpiresAt": PAST}})
    assert (await stock_of(db, first), await stock_of(db, second)) == (46, 43)
    contenders = 11
    transition = OrdersDatasource.transition
    arrived: list[ObjectId] = []
    all_arrived = asyncio.Event()

    async def transition_together(self, order_id, *args, **kwargs):
        """Every contender has read the order as PENDING before any of them changes it (if
        the app lets them get this far at once: otherwise each goes on after a moment)."""
        arrived.append(order_id)
        if len(arrived) == contenders:
            all_arrived.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_arrived.wait(), timeout=1.0)
        return await transition(self, order_id, *args, **kwargs)

    monkeypatch.setattr(OrdersDatasource, "transition", transition_together)

    results = await asyncio.gather(
        *(gql(CANCEL, {"id": order["id"]}, headers=customer.headers) for _ in range(10)),
        sweeper(db).expire_holds(),
    )
    monkeypatch.undo()

    assert all_arrived.is_set()
    *bodies, expired = results
    payloads = [payload_of(body, "cancelOrder") for body in bodies]
    won = [p for p in payloads if p["order"] is not None]
    lost = [p for p in payloads if p["order"] is None]
    assert len(won) + expired == 1, (won, expired)
    assert all(p["order"]["status"] == "CANCELLED" and p["userErrors"] == [] for p in won)
    assert all([e["code"] for e in p["userErrors"]] == ["INVALID_TRANSITION"] for p in lost)
    assert (await stock_of(db, first), await stock_of(db, second)) == (50, 50)
    document = await order_document(db, order)
    assert document["status"] == "CANCELLED"
    assert document["stockReturn"] == "DONE"
    assert document["cancelReason"] == ("hold expired" if expired else "cancelled by request")
    await assert_no_stock_markers(db)


# --- expiry -------------------------------------------------------------------------------


async def test_expiry_cancels_only_pending_orders_past_their_hold(db, gql, customer):
    expiring, paid_product, fresh_product = await add_products(db, 3)
    expired = await place(gql, customer, (expiring, 4))
    paid = await place(gql, customer, (paid_product, 3))
    await pay(gql, customer, paid)
    fresh = await place(gql, customer, (fresh_product, 2))
    for order in (expired, paid):
        await db.orders.update_one({"_id": oid(order["id"])}, {"$set": {"holdExpiresAt": PAST}})

    assert await sweeper(db).expire_holds() == 1

    assert (await order_document(db, expired))["status"] == "CANCELLED"
    assert (await order_document(db, expired))["cancelReason"] == "hold expired"
    assert await stock_of(db, expiring) == 10
    assert (await order_document(db, paid))["status"] == "PAID"
    assert "refund" not in await order_document(db, paid)
    assert await stock_of(db, paid_product) == 7
    assert (await order_document(db, fresh))["status"] == "PENDING"
    assert await stock_of(db, fresh_product) == 8
    await assert_no_stock_markers(db)
    body = await gql(ORDER, {"id": expired["id"]}, headers=customer.headers)
    assert body["data"]["order"]["status"] == "CANCELLED"

    assert await sweeper(db).expire_holds() == 0  # nothing left to expire, nothing doubled
    assert await stock_of(db, expiring) == 10


async def test_a_hold_comes_from_the_configured_minutes(db, make_settings, app_with, customer):
    [product] = await add_products(db)
    async with app_with(make_settings(order_hold_minutes=7)) as http:
        headers = customer.headers
        items = [{"productId": global_id("Product", product["_id"]), "quantity": 1}]
        response = await http.post(
            "/graphql", json={"query": PLACE, "variables": {"items": items}}, headers=headers
        )
    order = response.json()["data"]["placeOrder"]["order"]
    document = await order_document(db, order)
    hold = document["holdExpiresAt"] - document["createdAt"]
    assert abs(hold - timedelta(minutes=7)) < timedelta(seconds=1)
    assert datetime.fromisoformat(order["holdExpiresAt"]) > datetime.now(UTC)


# --- updateOrderStatus --------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [(b, a) for b in STATUSES for a in STATUSES])
async def test_update_order_status_transitions(db, gql, customer, admin, before, after):
    [product] = await add_products(db)
    order = await order_in(gql, customer, admin, before, product, quantity=2)
    stock_before = await stock_of(db, product)
    assert stock_before == (10 if before == "CANCELLED" else 8)

    body = await gql(UPDATE_STATUS, {"id": order["id"], "status": after}, headers=admin.headers)

    document = await order_document(db, order)
    if (before, after) in LEGAL_MOVES:
        moved = succeeded(body, "updateOrderStatus", after)
        assert moved["id"] == order["id"]
        assert document["status"] == after
        if after == "CANCELLED":
            assert await stock_of(db, product) == 10
            assert document["cancelReason"] == "cancelled by an admin"
            if before == "PAID":
                assert document["refund"]["status"] == "DONE"
            else:
                assert "refund" not in document
        else:
            assert await stock_of(db, product) == stock_before
            assert isinstance(document[f"{after.lower()}At"], datetime)
    else:
        assert user_error_code(body, "updateOrderStatus") == "INVALID_TRANSITION"
        assert document["status"] == before
        assert await stock_of(db, product) == stock_before
    await assert_no_stock_markers(db)


# --- who may do what ----------------------------------------------------------------------

ACTORS = ("anonymous", "owner", "other", "admin")


def headers_of(actor: str, customer, other_customer, admin) -> dict[str, str]:
    return {
        "anonymous": {},
        "owner": customer.headers,
        "other": other_customer.headers,
        "admin": admin.headers,
    }[actor]


@pytest.mark.parametrize("actor", ACTORS)
async def test_who_may_read_an_order(db, gql, customer, other_customer, admin, actor):
    [product] = await add_products(db)
    order = await place(gql, customer, (product, 1))
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(ORDER, {"id": order["id"]}, headers=headers)
    node = await gql(NODE, {"id": order["id"]}, headers=headers)

    if actor in ("owner", "admin"):
        assert "errors" not in body, body
        assert body["data"]["order"]["id"] == order["id"]
        assert body["data"]["order"]["user"]["id"] == customer.global_id
        assert node["data"]["node"] == {
            "__typename": "Order",
            "id": order["id"],
            "number": order["number"],
            "status": "PENDING",
        }
    else:
        code = "UNAUTHENTICATED" if actor == "anonymous" else "FORBIDDEN"
        refused(body, "order", code, {"order": None})
        assert node == {"data": {"node": None}}


@pytest.mark.parametrize("actor", ACTORS)
async def test_who_sees_which_orders_in_the_listing(
    db, gql, customer, other_customer, admin, actor
):
    [product] = await add_products(db)
    mine = await place(gql, customer, (product, 1))
    theirs = await place(gql, other_customer, (product, 1))
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(ORDERS, {}, headers=headers)

    if actor == "anonymous":
        refused(body, "orders", "UNAUTHENTICATED")
        return
    expected = {"owner": [mine], "other": [theirs], "admin": [theirs, mine]}[actor]
    listing = body["data"]["orders"]
    assert [edge["node"]["id"] for edge in listing["edges"]] == [o["id"] for o in expected]
    assert listing["totalCount"] == len(expected)


@pytest.mark.parametrize("actor", ACTORS)
async def test_who_may_cancel_an_order(db, gql, customer, other_customer, admin, actor):
    [product] = await add_products(db)
    order = await place(gql, customer, (product, 2))
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(CANCEL, {"id": order["id"]}, headers=headers)

    document = await order_document(db, order)
    if actor in ("owner", "admin"):
        succeeded(body, "cancelOrder", "CANCELLED")
        assert document["status"] == "CANCELLED"
        assert await stock_of(db, product) == 10
    else:
        refused(body, "cancelOrder", "UNAUTHENTICATED" if actor == "anonymous" else "FORBIDDEN")
        assert document["status"] == "PENDING"
        assert await stock_of(db, product) == 8


@pytest.mark.parametrize("actor", ACTORS)
async def test_only_the_owner_may_pay_an_order(db, gql, customer, other_customer, admin, actor):
    [product] = await add_products(db)
    order = await place(gql, customer, (product, 2))
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(PAY, {"id": order["id"], "token": "tok_visa"}, headers=headers)

    document = await order_document(db, order)
    if actor == "owner":
        succeeded(body, "payOrder", "PAID")
        assert document["status"] == "PAID"
        assert len(await db.outbox.find({}).to_list()) == 1
    else:
        refused(body, "payOrder", "UNAUTHENTICATED" if actor == "anonymous" else "FORBIDDEN")
        assert document["status"] == "PENDING"
        assert "payment" not in document
        assert await db.outbox.find({}).to_list() == []


@pytest.mark.parametrize("actor", ACTORS)
async def test_only_admins_may_update_an_order_status(
    db, gql, customer, other_customer, admin, actor
):
    [product] = await add_products(db)
    order = await order_in(gql, customer, admin, "PAID", product)
    headers = headers_of(actor, customer, other_customer, admin)

    body = await gql(UPDATE_STATUS, {"id": order["id"], "status": "SHIPPED"}, headers=headers)

    document = await order_document(db, order)
    if actor == "admin":
        succeeded(body, "updateOrderStatus", "SHIPPED")
        assert document["status"] == "SHIPPED"
    else:
        code = "UNAUTHENTICATED" if actor == "anonymous" else "FORBIDDEN"
        refused(body, "updateOrderStatus", code)
        assert document["status"] == "PAID"


async def test_a_missing_order_looks_like_someone_elses_to_a_customer(
    db, gql, customer, other_customer
):
    [product] = await add_products(db)
    theirs = await place(gql, other_customer, (product, 2))
    missing = global_id("Order", ObjectId())
    operations = [
        ("order", ORDER, {}, {"order": None}),
        ("cancelOrder", CANCEL, {}, None),
        ("payOrder", PAY, {"token": "tok_visa"}, None),
    ]

    for field, query, extra, data in operations:
        for_theirs = await gql(query, {"id": theirs["id"], **extra}, headers=customer.headers)
        for_missing = await gql(query, {"id": missing, **extra}, headers=customer.headers)
        message = refused(for_theirs, field, "FORBIDDEN", data)
        assert refused(for_missing, field, "FORBIDDEN", data) == message
        assert for_theirs == for_missing

    node_of_theirs = await gql(NODE, {"id": theirs["id"]}, headers=customer.headers)
    node_of_missing = await gql(NODE, {"id": missing}, headers=customer.headers)
    assert node_of_theirs == node_of_missing == {"data": {"node": None}}
    listing = await gql(ORDERS, {}, headers=customer.headers)
    assert listing["data"]["orders"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }
    document = await order_document(db, theirs)
    assert document["status"] == "PENDING" and "payment" not in document
    assert await stock_of(db, product) == 8


async def test_admins_are_told_a_missing_order_is_missing(db, gql, admin):
    missing = global_id("Order", ObjectId())

    assert await gql(ORDER, {"id": missing}, headers=admin.headers) == {"data": {"order": None}}
    assert await gql(NODE, {"id": missing}, headers=admin.headers) == {"data": {"node": None}}
    cancel = await gql(CANCEL, {"id": missing}, headers=admin.headers)
    assert user_error_code(cancel, "cancelOrder") == "NOT_FOUND"
    move_it = await gql(UPDATE_STATUS, {"id": missing, "status": "SHIPPED"}, headers=admin.headers)
    assert user_error_code(move_it, "updateOrderStatus") == "NOT_FOUND"
    pay_it = await gql(PAY, {"id": missing, "token": "tok_visa"}, headers=admin.headers)
    assert user_error_code(pay_it, "payOrder") == "NOT_FOUND"


async def test_an_order_shipped_or_delivered_cannot_be_cancelled(db, gql, customer, admin):
    shipped_product, delivered_product = await add_products(db, 2)
    shipped = await order_in(gql, customer, admin, "SHIPPED", shipped_product)
    delivered = await order_in(gql, customer, admin, "DELIVERED", delivered_product)

    for order in (shipped, delivered):
        for who in (customer, admin):
            body = await gql(CANCEL, {"id": order["id"]}, headers=who.headers)
            assert user_error_code(body, "cancelOrder") == "INVALID_TRANSITION"
        assert (await order_document(db, order))["status"] == order["status"]
    assert await stock_of(db, shipped_product) == await stock_of(db, delivered_product) == 8


# --- reading orders -----------------------------------------------------------------------


async def test_orders_are_listed_newest_first_with_a_status_filter(db, gql, customer):
    [product] = await add_products(db)
    placed = [await place(gql, customer, (product, 1)) for _ in range(3)]
    await pay(gql, customer, placed[1])

    body = await gql(ORDERS, {"first": 2}, headers=customer.headers)
    listing = body["data"]["orders"]
    assert [e["node"]["id"] for e in listing["edges"]] == [placed[2]["id"], placed[1]["id"]]
    assert listing["totalCount"] == 3 and listing["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        ORDERS, {"first": 2, "after": listing["pageInfo"]["endCursor"]}, headers=customer.headers
    )
    assert [e["node"]["id"] for e in rest["data"]["orders"]["edges"]] == [placed[0]["id"]]

    paid = await gql(ORDERS, {"status": "PAID"}, headers=customer.headers)
    assert [e["node"]["id"] for e in paid["data"]["orders"]["edges"]] == [placed[1]["id"]]
    assert paid["data"]["orders"]["totalCount"] == 1


async def test_a_user_sees_their_own_orders_through_me(db, gql, customer, other_customer):
    [product] = await add_products(db)
    mine = await place(gql, customer, (product, 1))
    await place(gql, other_customer, (product, 1))

    body = await gql(
        "{ me { id orders { totalCount edges { node { id user { id } } } } } }",
        headers=customer.headers,
    )

    assert "errors" not in body, body
    orders = body["data"]["me"]["orders"]
    assert orders["totalCount"] == 1
    assert orders["edges"] == [{"node": {"id": mine["id"], "user": {"id": customer.global_id}}}]


async def test_order_lines_keep_their_snapshot_after_the_product_changes_or_goes(
    db, gql, customer, admin
):
    kept, deleted = await add_products(db, 2)
    order = await place(gql, customer, (kept, 2), (deleted, 1))
    await db.products.update_one({"_id": kept["_id"]}, {"$set": {"name": "Renamed", "price": 1}})

    body = await gql(
        "mutation Delete($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }",
        {"id": global_id("Product", deleted["_id"])},
        headers=admin.headers,
    )
    assert body["data"]["deleteProduct"]["userErrors"] == [], body

    read = await gql(ORDER, {"id": order["id"]}, headers=customer.headers)
    assert "errors" not in read, read
    lines = {line["productId"]: line for line in read["data"]["order"]["items"]}
    for product, quantity in ((kept, 2), (deleted, 1)):
        line = lines[global_id("Product", product["_id"])]
        assert line["sku"] == product["sku"]
        assert line["name"] == product["name"]
        assert line["quantity"] == quantity
        assert line["unitPrice"] == {"amount": f"{product['price'] / 100:.2f}", "currency": "USD"}
        assert line["lineTotal"] == {"amount": f"{product['price'] * quantity / 100:.2f}"}
    assert lines[global_id("Product", kept["_id"])]["product"] == {
        "id": global_id("Product", kept["_id"]),
        "name": "Renamed",
    }
    assert lines[global_id("Product", deleted["_id"])]["product"] is None
    subtotal = kept["price"] * 2 + deleted["price"]
    assert read["data"]["order"]["subtotal"]["amount"] == f"{subtotal / 100:.2f}"


# --- query cost ---------------------------------------------------------------------------

PAGE = """{ orders(first: 20) { edges { node {
  number user { name } items { product { name } }
} } } }"""


def commands_by_collection(command_log) -> list[tuple[str, Any]]:
    return sorted(
        (event.command_name, event.command.get(event.command_name))
        for event in command_log.commands
    )


async def test_a_page_of_orders_costs_the_same_queries_for_two_orders_as_for_twenty(
    db, client, gql, command_log, customer, other_customer, admin
):
    third = await account(db, client, "third@shop.test", "CUSTOMER")
    buyers = [customer, other_customer, third]
    products = await add_products(db, 12, stock=100)

    async def place_numbered(n: int) -> None:
        chosen = [products[(n + k) % len(products)] for k in (0, 1, 2)]
        await place(gql, buyers[n % len(buyers)], *((p, 1 + k) for k, p in enumerate(chosen)))

    async def read_page(expected: int) -> list[tuple[str, Any]]:
        command_log.clear()
        body = await gql(PAGE, headers=admin.headers)
        assert "errors" not in body, body
        edges = body["data"]["orders"]["edges"]
        assert len(edges) == expected
        assert [edge["node"]["number"] for edge in edges] == list(range(expected, 0, -1))
        for edge in edges:
            number = edge["node"]["number"]
            assert edge["node"]["user"] == {"name": "Test"}
            names = [item["product"]["name"] for item in edge["node"]["items"]]
            chosen = [products[(number - 1 + k) % len(products)] for k in (0, 1, 2)]
            assert sorted(names) == sorted(p["name"] for p in chosen)
        return commands_by_collection(command_log)

    for n in range(2):
        await place_numbered(n)
    two = await read_page(2)
    for n in range(2, 20):
        await place_numbered(n)
    twenty = await read_page(20)

    # One find for the viewer's own account (the permission check), then per page one
    # find each for orders, their users and their products: the same for 2 as for 20.
    expected = [("find", "orders"), ("find", "products"), ("find", "users"), ("find", "users")]
    assert two == expected
    assert twenty == expected
    viewer_find, owners_find = command_log.named("find", "users")
    assert viewer_find["filter"] == {"_id": {"$in": [admin.id]}}
    assert set(owners_find["filter"]["_id"]["$in"]) == {buyer.id for buyer in buyers}
    [orders_find] = command_log.named("find", "orders")
    assert orders_find["limit"] == 21
    [product_find] = command_log.named("find", "products")
    assert set(product_find["filter"]["_id"]["$in"]) == {p["_id"] for p in products}
    # Only what the page selects (and `active`, which decides who may see a product).
    assert set(owners_find["projection"]) == {"name"}
    assert set(product_find["projection"]) == {"name", "active"}
