"""A guest buys two variants with a discount code in a real browser, sees the
confirmation with its totals, and the confirmation email lands in the outbox
(storefront/e2e/guest_checkout.mjs)."""

from tests.storefront.harness import Storefront, email_text

BOOT = "FTW-003"  # the demo's Nordic Hiking Boot: sizes 39 to 45
GUEST = "ada.guest@example.com"


async def test_a_guest_buys_two_sizes_with_a_discount_code(storefront: Storefront):
    run = await storefront.run("guest_checkout", PRODUCT_SKU=BOOT, GUEST_EMAIL=GUEST)

    order = await storefront.db.orders.find_one({"number": run.results["number"]})
    assert order is not None, run.results
    assert order["email"] == GUEST
    assert order["status"] == "PAID"
    assert order.get("userId") is None
    lines = {(item["sku"], item["quantity"]) for item in order["items"]}
    assert lines == {(f"{BOOT}-40", 1), (f"{BOOT}-41", 2)}
    assert [discount["code"] for discount in order["discounts"]] == ["TEN"]
    shown = run.results["totals"]
    assert shown["Total"] == dollars(order["total"])
    assert shown["Discount (TEN)"] == "\N{MINUS SIGN}" + dollars(order["discountTotal"])

    message = await storefront.wait_for_email(GUEST, f"#{order['number']}")
    assert "TEN" in email_text(message)


def dollars(minor_units: int) -> str:
    """An amount as the page shows it in the demo store's currency (en-US)."""
    return f"${minor_units / 100:,.2f}"
