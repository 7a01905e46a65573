"""Admin changes of variants racing each other: requests really run at once, and afterwards
every SKU has one holder, no unit is lost or made up, and `stock` is the variants' sum.

Vocabulary and helpers: tests/test_variants_admin.py.
"""

import asyncio
from collections import defaultdict
from typing import Any

from bson import ObjectId

from tests.factories import object_id_of
from tests.helpers import movements
from tests.test_variants_admin import (
    CREATE_VARIANT,
    DELETE_VARIANT,
    UPDATE_PRODUCT,
    adjust,
    assert_stock_kept,
    create_product,
    create_shoe,
    created,
    document_of,
    sku_claims,
    variant_gid,
    variant_ids,
    variant_input,
)

SIZES = [f"S{n}" for n in range(20)]


async def test_racing_create_variants_with_one_new_sku_on_two_products_add_it_once(db, as_admin):
    """Each round: 10 calls on each of two products, each for a size that product lacks,
    all with one new SKU. Rounds make a lost interleaving unlikely to go unnoticed."""
    for round_ in range(5):
        await race_for_one_sku(db, as_admin, f"R{round_}")


async def test_racing_create_variants_with_one_new_combination_add_it_once(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(3, 4))
    claims_before = await sku_claims(db)

    answers = await asyncio.gather(
        *(
            as_admin(
                CREATE_VARIANT,
                {
                    "productId": shoe["id"],
                    "input": variant_input(f"SHOE-44-{n}", "70.00", 1, Size="44", Color="White"),
                },
            )
            for n in range(10)
        )
    )

    payloads = [answer["createVariant"] for answer in answers]
    won = [p for p in payloads if p["userErrors"] == []]
    assert len(won) == 1, payloads
    for payload in payloads:
        if payload is not won[0]:
            assert [e["field"] for e in payload["userErrors"]] == [["input", "selectedOptions"]]
    document = await document_of(db, shoe)
    assert [v["sku"] for v in document["variants"]][2:] == [won[0]["variant"]["sku"]]
    assert document["stock"] == 3 + 4 + 1
    assert_stock_kept(document)
    # The losers' SKUs were given up: only the winner's is claimed.
    assert await sku_claims(db) == {
        **claims_before,
        won[0]["variant"]["sku"]: object_id_of(shoe["id"]),
    }


async def test_fifty_racing_decrements_of_a_variant_of_thirty_sell_exactly_thirty(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(30, 7))
    [v42, v43] = shoe["variants"]

    payloads = await asyncio.gather(
        *(adjust(as_admin, variant_id=v42["id"], delta=-1, reason=f"sale {n}") for n in range(50))
    )

    done = [p for p in payloads if p["userErrors"] == []]
    refused = [p for p in payloads if p["userErrors"]]
    assert len(done) == 30
    assert {p["variant"]["stock"] for p in done} == set(range(30))
    assert all(
        [(e["field"], e["code"]) for e in p["userErrors"]] == [(["delta"], "OUT_OF_STOCK")]
        for p in refused
    ), refused
    document = await document_of(db, shoe)
    assert document["variantStock"] == {
        str(variant_ids(v42["id"])[1]): 0,
        str(variant_ids(v43["id"])[1]): 7,
    }
    assert document["stock"] == 7
    assert_stock_kept(document)
    sales = [m for m in await movements(db) if m["reason"].startswith("sale")]
    assert len(sales) == 30
    assert {m["variantId"] for m in sales} == {variant_ids(v42["id"])[1]}
    assert sorted(m["stockAfter"] for m in sales) == list(range(30))


async def test_racing_adjustments_of_two_variants_keep_the_sum(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(10, 10))
    [v42, v43] = shoe["variants"]
    calls = [(v42["id"], +1)] * 25 + [(v43["id"], -1)] * 25

    payloads = await asyncio.gather(*(adjust(as_admin, variant_id=v, delta=d) for v, d in calls))

    assert sum(1 for p in payloads[:25] if p["userErrors"] == []) == 25
    assert sum(1 for p in payloads[25:] if p["userErrors"] == []) == 10
    document = await document_of(db, shoe)
    assert document["variantStock"] == {
        str(variant_ids(v42["id"])[1]): 35,
        str(variant_ids(v43["id"])[1]): 0,
    }
    assert document["stock"] == 35
    await assert_ledger_explains(db, document)


async def test_a_second_variant_created_while_the_first_ones_stock_moves_loses_no_unit(
    db, as_admin
):
    """A product without options gets an option, then a second variant while its default
    variant's stock is adjusted: its stock moves from `stock` to `variantStock` meanwhile."""
    tees = []
    for n in range(3):
        tee = created(await create_product(as_admin, sku=f"TEE-{n}", price="19.00", stock=100))
        options = [{"name": "Size", "values": ["S", "M"]}]
        created(
            (await as_admin(UPDATE_PRODUCT, {"id": tee["id"], "input": {"options": options}}))[
                "updateProduct"
            ]
        )
        tees.append(tee)

    async def race(tee: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[int, dict]]]:
        tee_id = object_id_of(tee["id"])
        default = variant_gid(tee_id, tee_id)
        adjustments = [(default, None, -1)] * 10 + [(default, None, +2)] * 10
        adjustments += [(None, tee["id"], -1)] * 10  # by productId: refused once there are two
        create = as_admin(
            CREATE_VARIANT,
            {
                "productId": tee["id"],
                "input": variant_input(f"{tee['sku']}-M", "21.00", 5, Size="M"),
            },
        )
        results = await asyncio.gather(
            create,
            *(adjust(as_admin, variant_id=v, product_id=p, delta=d) for v, p, d in adjustments),
        )
        return results[0]["createVariant"], list(
            zip([d for *_, d in adjustments], results[1:], strict=True)
        )

    for tee, (creation, adjusted) in zip(tees, await asyncio.gather(*map(race, tees)), strict=True):
        new_variant = created(creation, "variant")
        applied = 0
        for delta, payload in adjusted:
            if payload["userErrors"] == []:
                applied += delta
            else:
                assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
                    (["productId"], "INVALID")
                ], payload
        document = await document_of(db, tee)
        tee_id = document["_id"]
        assert document["variantStock"] == {
            str(tee_id): 100 + applied,
            str(variant_ids(new_variant["id"])[1]): 5,
        }
        assert document["stock"] == 100 + applied + 5
        assert_stock_kept(document)
        await assert_ledger_explains(db, document)


async def test_a_variant_deleted_while_stock_moves_leaves_the_other_ones_stock_whole(db, as_admin):
    shoe = await create_shoe(as_admin, stocks=(10, 10))
    [v42, v43] = shoe["variants"]

    results = await asyncio.gather(
        as_admin(DELETE_VARIANT, {"id": v43["id"]}),
        *(adjust(as_admin, variant_id=v42["id"], delta=+1) for _ in range(20)),
        *(adjust(as_admin, variant_id=v43["id"], delta=-1) for _ in range(10)),
    )

    assert results[0]["deleteVariant"]["userErrors"] == []
    assert all(p["userErrors"] == [] for p in results[1:21]), results[1:21]
    for payload in results[21:]:
        assert [e["code"] for e in payload["userErrors"]] in ([], ["NOT_FOUND"]), payload
    document = await document_of(db, shoe)
    assert "variantStock" not in document
    assert document["stock"] == 30
    assert [v["sku"] for v in document["variants"]] == ["SHOE-42-BLK"]
    assert_stock_kept(document)
    await assert_ledger_explains(db, document)
    # The deleted variant's movements end at zero: what it had left went with it.
    gone = variant_ids(v43["id"])[1]
    assert sum(m["delta"] for m in await movements(db) if m["variantId"] == gone) == 0


# --- helpers -----------------------------------------------------------------------------


async def assert_ledger_explains(db, document: dict[str, Any]) -> None:
    """Every variant's stock is the sum of its movements (creation included)."""
    moved: dict[ObjectId, int] = defaultdict(int)
    for movement in await movements(db):
        if movement["productId"] == document["_id"]:
            moved[movement["variantId"]] += movement["delta"]
    if "variantStock" in document:
        stocks = {ObjectId(hex_id): stock for hex_id, stock in document["variantStock"].items()}
    else:
        stocks = {document["variants"][0]["_id"]: document["stock"]}
    assert {v: moved[v] for v in stocks} == stocks, (dict(moved), stocks)


async def race_for_one_sku(db, as_admin, prefix: str) -> None:
    products = [
        created(
            await create_product(
                as_admin,
                sku=f"{prefix}-{sku}",
                options=[{"name": "Size", "values": SIZES}],
                variants=[
                    variant_input(f"{prefix}-{sku}-S0", "10.00", 1, Size="S0"),
                    variant_input(f"{prefix}-{sku}-S1", "10.00", 1, Size="S1"),
                ],
            )
        )
        for sku in ("SHOE", "BOOT")
    ]
    claims_before = await sku_claims(db)
    new_sku = f"{prefix}-NEW"
    calls = [(products[n % 2], SIZES[2 + n // 2]) for n in range(20)]

    answers = await asyncio.gather(
        *(
            as_admin(
                CREATE_VARIANT,
                {
                    "productId": product["id"],
                    "input": variant_input(new_sku, "12.00", 1, Size=size),
                },
            )
            for product, size in calls
        )
    )

    payloads = [answer["createVariant"] for answer in answers]
    won = [p for p in payloads if p["userErrors"] == []]
    assert len(won) == 1, payloads
    assert won[0]["variant"]["sku"] == new_sku
    for payload in payloads:
        if payload is not won[0]:
            assert payload["variant"] is None, payload
            [refusal] = payload["userErrors"]
            assert refusal["field"] == ["input", "sku"], payload
            assert refusal["code"] in ("ALREADY_EXISTS", "INVALID"), payload
    winner = object_id_of(won[0]["product"]["id"])
    holders = []
    for product in products:
        document = await document_of(db, product)
        assert_stock_kept(document)
        skus = [variant["sku"] for variant in document["variants"]]
        holders += [document["_id"]] * skus.count(new_sku)
        assert len(document["variants"]) == (3 if document["_id"] == winner else 2)
    assert holders == [winner]
    assert await sku_claims(db) == {**claims_before, new_sku: winner}
    # And the registry keeps refusing the SKU to anyone else.
    later = await create_product(as_admin, sku=new_sku, price="1.00")
    assert [e["code"] for e in later["userErrors"]] == ["ALREADY_EXISTS"], later
