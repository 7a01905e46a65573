"""The order confirmation email: what it says, and putting it in the outbox."""

import html

from shopgraph.checkout.addresses import Address
from shopgraph.checkout.deps import Checkout
from shopgraph.checkout.order_states import Step
from shopgraph.documents import Document
from shopgraph.money import format_amount


def confirmation_message(order: Document, to: str, sender: str) -> dict[str, str]:
    currency = order["currency"]
    lines = [
        f"{item['quantity']} x {_described(item)} ({item['sku']}) at "
        f"{format_amount(item['unitPrice'], currency)} = "
        f"{format_amount(item['lineTotal'], currency)}"
        for item in order["items"]
    ]
    sums = _sums(order)
    addresses = _addresses(order)
    text = "\n".join(
        [
            f"Thank you for your order #{order['number']}.",
            "",
            *lines,
            "",
            *(f"{label}: {amount}" for label, amount in sums),
            *(line for _, printed in addresses for line in ("", *printed)),
        ]
    )
    rows = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    table = "".join(
        f"<p><strong>{html.escape(label)}: {html.escape(amount)}</strong></p>"
        if label == "Total"
        else f"<p>{html.escape(label)}: {html.escape(amount)}</p>"
        for label, amount in sums
    )
    blocks = "".join(
        f"<p>{'<br>'.join(html.escape(line) for line in printed)}</p>" for _, printed in addresses
    )
    body = f"<h1>Thank you for your order #{order['number']}</h1><ul>{rows}</ul>{table}{blocks}"
    return {
        "messageId": f"<order-{order['_id']}-confirmation@shopgraph>",
        "from": sender,
        "to": to,
        "subject": f"Your order #{order['number']} is confirmed",
        "text": text,
        "html": f"<html><body>{body}</body></html>",
    }


def _sums(order: Document) -> list[tuple[str, str]]:
    """Subtotal, discount, shipping, tax and total, as far as the order has them (orders
    placed without a cart have only a total)."""
    currency = order["currency"]
    if "shippingMethod" not in order:
        return [("Total", format_amount(order["total"], currency))]
    sums = [("Subtotal", format_amount(order["subtotal"], currency))]
    for discount in order.get("discounts") or ():
        sums.append(
            (f"Discount ({discount['code']})", f"-{format_amount(discount['amount'], currency)}")
        )
    method = order["shippingMethod"]
    sums.append((f"Shipping ({method['name']})", format_amount(order["shippingTotal"], currency)))
    tax_label = "Tax included" if order.get("taxIncluded") else "Tax"
    sums.append((tax_label, format_amount(order.get("taxTotal", 0), currency)))
    sums.append(("Total", format_amount(order["total"], currency)))
    return sums


def _addresses(order: Document) -> list[tuple[str, list[str]]]:
    found = []
    for field, label in (("shippingAddress", "Ship to"), ("billingAddress", "Bill to")):
        if order.get(field):
            found.append((label, [f"{label}:", *Address.from_document(order[field]).printed()]))
    return found


def _described(item: Document) -> str:
    """The product's name, with the variant's title when it has one: "Boot, 42 / Black"."""
    title = item.get("variantTitle")
    return f"{item['name']}, {title}" if title else item["name"]


async def queue_confirmation(checkout: Checkout, order: Document) -> None:
    """Idempotent: the message id is the order's, so a repeat keeps one message."""
    datasources = checkout.datasources
    to = order.get("email")  # given at checkout; placeOrder's orders go to the account's
    if to is None and order.get("userId") is not None:
        users = await datasources.users.by_ids([order["userId"]], ["email"])
        to = users.get(order["userId"], {}).get("email")
    if to is not None:
        message = confirmation_message(order, to, checkout.mail_from)
        await datasources.outbox.enqueue(
            f"order-confirmation:{order['_id']}", {**message, "orderId": order["_id"]}
        )
    await datasources.orders.update(order["_id"], {"confirmation": Step.QUEUED})
