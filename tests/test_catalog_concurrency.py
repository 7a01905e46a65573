"""Concurrent stock changes never oversell and keep the movement ledger exact."""

import asyncio
import random

from tests.factories import product_document
from tests.helpers import ADJUST_STOCK as ADJUST
from tests.helpers import UPDATE_PRODUCT as UPDATE
from tests.helpers import adjust, gid, movements, stored

STOCK = "query S($id: ID) { product(id: $id) { stock } }"


async def test_concurrent_removals_never_oversell(db, gql, admin, command_log):
    product = product_document(sku="HOT-1", stock=30)
    await db.products.insert_one(product)
    variables = {"productId": gid(product), "delta": -1, "reason": "order"}
    command_log.clear()

    bodies = await asyncio.gather(
        *(gql(ADJUST, variables, headers=admin.headers) for _ in range(100))
    )

    # The requests really overlapped: many conditional updates were sent before the
    # requests that sent them went on (to record the movement, or to read what is left).
    started = [
        (event.command_name, event.command.get(event.command_name))
        for event in command_log.commands
    ]
    outstanding = peak = 0
    for command in started:
        if command == ("findAndModify", "products"):
            outstanding += 1
        elif command in (("insert", "stock_movements"), ("find", "products")):
            outstanding -= 1
        peak = max(peak, outstanding)
    assert peak >= 5, f"at most {peak} adjustments were in flight at once"
    for body in bodies:
        assert "errors" not in body, body
    payloads = [body["data"]["adjustStock"] for body in bodies]
    succeeded = [p for p in payloads if p["userErrors"] == []]
    refused = [p for p in payloads if p["userErrors"]]
    assert len(succeeded) == 30
    assert len(refused) == 70
    assert all(
        [e["code"] for e in p["userErrors"]] == ["OUT_OF_STOCK"] and p["product"] is None
        for p in refused
    )
    # Each successful removal saw its own stock level, from 29 down to 0.
    assert sorted(p["product"]["stock"] for p in succeeded) == list(range(30))
    assert (await stored(db, product))["stock"] == 0
    recorded = await movements(db)
    assert len(recorded) == 30
    assert sorted(m["stockAfter"] for m in recorded) == list(range(30))
    assert {(m["delta"], m["userId"], m["productId"]) for m in recorded} == {
        (-1, admin.id, product["_id"])
    }


async def test_a_mixed_race_of_additions_and_removals_adds_up(db, gql, admin):
    start = 5
    product = product_document(sku="HOT-2", stock=start)
    await db.products.insert_one(product)
    deltas = [1] * 60 + [-1] * 60
    random.Random(20260101).shuffle(deltas)

    bodies = await asyncio.gather(
        *(
            gql(
                ADJUST,
                {"productId": gid(product), "delta": delta, "reason": "race"},
                headers=admin.headers,
            )
            for delta in deltas
        )
    )

    applied = []
    for delta, body in zip(deltas, bodies, strict=True):
        assert "errors" not in body, body
        payload = body["data"]["adjustStock"]
        if payload["userErrors"]:
            # Only a removal can fail, and only for lack of stock.
            assert delta == -1
            assert [e["code"] for e in payload["userErrors"]] == ["OUT_OF_STOCK"]
        else:
            assert payload["product"]["stock"] >= 0
            applied.append(delta)
    assert applied.count(1) == 60
    final = (await stored(db, product))["stock"]
    assert final == start + sum(applied)
    assert final >= 0
    recorded = await movements(db)
    assert len(recorded) == len(applied)
    assert sum(m["delta"] for m in recorded) == final - start
    assert min(m["stockAfter"] for m in recorded) >= 0


async def set_stock_from_what_is_seen(as_admin, product_id: str, target: int) -> None:
    """What an admin's page does: read the stock, set it from that, and when it changed
    meanwhile read it again."""
    while True:
        seen = (await as_admin(STOCK, {"id": product_id}))["product"]["stock"]
        given = {"stock": target, "expectedStock": seen}
        payload = (await as_admin(UPDATE, {"id": product_id, "input": given}))["updateProduct"]
        if not payload["userErrors"]:
            return
        assert [e["code"] for e in payload["userErrors"]] == ["STOCK_CHANGED"], payload


async def test_racing_stock_updates_and_adjustments_keep_the_movement_ledger_exact(db, as_admin):
    """Every movement records only its own change, so the ledger adds up to the stock; a
    stock set from a stock that moved meanwhile is refused, never applied on top."""
    product = product_document(sku="LEDGER-1", stock=100)
    await db.products.insert_one(product)
    product_id = gid(product)
    # Targets 1,000 apart: 30 adjustments of +1 can never bring the stock onto a target
    # before its update lands, so every update moves the stock and records a movement.
    targets = [1000 * n for n in range(1, 11)]

    await asyncio.gather(
        *(adjust(as_admin, product_id, 1) for _ in range(30)),
        *(set_stock_from_what_is_seen(as_admin, product_id, t) for t in targets),
    )

    final = (await stored(db, product))["stock"]
    ledger = [m for m in await movements(db) if m["productId"] == product["_id"]]
    assert len(ledger) == 40
    assert sum(m["delta"] for m in ledger) == final - 100
    sets = [m for m in ledger if m["reason"] == "updateProduct"]
    assert sorted(m["stockAfter"] for m in sets) == targets
