"""payOrder: good and failed cards, paying twice, and stray charges refunded."""

import asyncio
import contextlib
from datetime import datetime

import pytest
from bson import ObjectId

from shopgraph.integrations import payments
from tests.helpers import (
    CANCEL,
    PAST,
    PAY,
    add_products,
    assert_no_stock_markers,
    order_document,
    order_in,
    pay,
    payload_of,
    stock_of,
    succeeded,
    sweeper,
    user_error_code,
)
from tests.helpers import order_object_id as oid
from tests.helpers import place_pending as place


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
