"""Cancelling orders: by request, in races, and when their hold expires."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from shopgraph.datasources.orders import OrdersDatasource
from shopgraph.integrations import payments
from tests.factories import global_id
from tests.helpers import (
    CANCEL,
    ORDER,
    PAST,
    add_products,
    assert_no_stock_markers,
    order_document,
    pay,
    payload_of,
    stock_of,
    succeeded,
    sweeper,
    user_error_code,
)
from tests.helpers import PLACE_ITEMS as PLACE
from tests.helpers import order_object_id as oid
from tests.helpers import place_pending as place

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
