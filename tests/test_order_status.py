"""updateOrderStatus: every move from every status, legal or not."""

from datetime import datetime

import pytest

from tests.helpers import (
    UPDATE_STATUS,
    add_products,
    assert_no_stock_markers,
    order_document,
    order_in,
    stock_of,
    succeeded,
    user_error_code,
)

STATUSES = ("PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED")
LEGAL_MOVES = {
    ("PAID", "SHIPPED"),
    ("SHIPPED", "DELIVERED"),
    ("PENDING", "CANCELLED"),
    ("PAID", "CANCELLED"),
}


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
