"""The order confirmation email: what it says, and putting it in the outbox."""

import html

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
    total = format_amount(order["total"], currency)
    text = "\n".join(
        [f"Thank you for your order #{order['number']}.", "", *lines, "", f"Total: {total}"]
    )
    rows = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    body = (
        f"<h1>Thank you for your order #{order['number']}</h1><ul>{rows}</ul>"
        f"<p><strong>Total: {html.escape(total)}</strong></p>"
    )
    return {
        "messageId": f"<order-{order['_id']}-confirmation@shopgraph>",
        "from": sender,
        "to": to,
        "subject": f"Your order #{order['number']} is confirmed",
        "text": text,
        "html": f"<html><body>{body}</body></html>",
    }


def _described(item: Document) -> str:
    """The product's name, with the variant's title when it has one: "Boot, 42 / Black"."""
    title = item.get("variantTitle")
    return f"{item['name']}, {title}" if title else item["name"]


async def queue_confirmation(checkout: Checkout, order: Document) -> None:
    """Idempotent: the message id is the order's, so a repeat keeps one message."""
    datasources = checkout.datasources
    users = await datasources.users.by_ids([order["userId"]], ["email"])
    user = users.get(order["userId"])
    if user is not None:
        message = confirmation_message(order, user["email"], checkout.mail_from)
        await datasources.outbox.enqueue(
            f"order-confirmation:{order['_id']}", {**message, "orderId": order["_id"]}
        )
    await datasources.orders.update(order["_id"], {"confirmation": Step.QUEUED})
