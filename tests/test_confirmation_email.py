"""The order confirmation email: from payOrder through the outbox to a real SMTP server.

Paying puts one message in the `outbox` collection; the mailer claims it with a lease,
delivers it and marks it SENT. A sender that dies mid-way loses its lease and a restarted
one delivers the message; a mail server that is down gets the message later, with a
backoff; after `mail_max_attempts` the message is given up. Without SMTP the message is
written to `data_dir/outbox` as an .eml file. The sweep queues the email of an order whose
process died between PAID and the outbox write.
"""

import asyncio
import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from bson import ObjectId

from shopgraph.checkout.confirmation import confirmation_message
from shopgraph.checkout.mailer import LEASE_MS, Mailer
from shopgraph.clock import now_ms
from shopgraph.datasources.client import Datasources
from shopgraph.integrations.mail import FileTransport, SmtpTransport, mail_transport
from shopgraph.integrations.payments import TestGateway as FakeGateway
from shopgraph.server.embedded import free_port
from tests.conftest import graphql
from tests.factories import product_document
from tests.helpers import line, order_object_id, order_service, poll

PLACE = """mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id number status total { amount currency } }
    userErrors { field message code }
  }
}"""
PAY = """mutation Pay($id: ID!, $token: String!) {
  payOrder(id: $id, payment: {token: $token}) {
    order { id number status } userErrors { field message code }
  }
}"""

SENDER = "Shopgraph <orders@shopgraph.local>"  # the default `mail_from`


# --- a real SMTP server ------------------------------------------------------------------


class SmtpRecorder:
    """aiosmtpd handler: keeps every message it accepts; `reply` other than 250 refuses."""

    def __init__(self, reply: str = "250 OK") -> None:
        self.reply = reply
        self.port = 0
        self.calls = 0
        self.accepted: list[tuple[str, list[str], bytes]] = []  # (mail from, rcpt to, data)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.calls += 1
        if self.reply.startswith("250"):
            self.accepted.append(
                (envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return self.reply

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(data, policy=email.policy.default)
            for _, _, data in self.accepted
        ]


@contextmanager
def smtp_server(port: int | None = None, reply: str = "250 OK") -> Iterator[SmtpRecorder]:
    handler = SmtpRecorder(reply)
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


def smtp_transport(port: int) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, "none", None, None)


# --- transports standing in for failures ------------------------------------------------


class ProcessDied(BaseException):
    """The process is killed while it sends: like SystemExit, nothing in the mailer catches
    it, so the message stays claimed (SENDING) until its lease runs out."""


class DiesWhileSending:
    def __init__(self) -> None:
        self.calls = 0

    async def send(self, message: EmailMessage) -> None:
        self.calls += 1
        raise ProcessDied


class StallsThenFails:
    """A mail server that hangs until `release` is set, then times out."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, message: EmailMessage) -> None:
        self.started.set()
        await self.release.wait()
        raise TimeoutError("the mail server did not answer")


# --- helpers -----------------------------------------------------------------------------


async def add_products(db, *prices: int) -> list[dict[str, Any]]:
    products = [product_document(price=price, stock=10) for price in prices]
    await db.products.insert_many(products)
    return products


async def place_and_pay(
    http: httpx.AsyncClient, customer, lines: list[tuple[dict[str, Any], int]]
) -> dict[str, Any]:
    """Places and pays an order through the API; returns the paid order as the API shows it."""
    items = [line(product, quantity) for product, quantity in lines]
    placed = await graphql(http, PLACE, {"input": {"items": items}}, headers=customer.headers)
    assert "errors" not in placed, placed
    assert placed["data"]["placeOrder"]["userErrors"] == [], placed
    order = placed["data"]["placeOrder"]["order"]
    paid = await graphql(
        http, PAY, {"id": order["id"], "token": "tok_visa"}, headers=customer.headers
    )
    assert "errors" not in paid, paid
    assert paid["data"]["payOrder"]["userErrors"] == [], paid
    assert paid["data"]["payOrder"]["order"]["status"] == "PAID"
    return order


async def paid_order(db, client, customer) -> tuple[ObjectId, str]:
    """An order of 2 x 12.50 paid through the shared app; (order id, outbox id)."""
    (product,) = await add_products(db, 1250)
    order = await place_and_pay(client, customer, [(product, 2)])
    order_id = order_object_id(order["id"])
    return order_id, f"order-confirmation:{order_id}"


async def outbox_entry(db, outbox_id: str) -> dict[str, Any]:
    entry = await db.outbox.find_one({"_id": outbox_id})
    assert entry is not None, f"no outbox entry {outbox_id}"
    return entry


async def make_due(db, outbox_id: str) -> None:
    """Skips the wait: a backoff, or the lease of a sender that died, runs out now."""
    await db.outbox.update_one({"_id": outbox_id}, {"$set": {"dueMs": now_ms() - 1}})


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None, "no text/plain part"
    assert html is not None, "no text/html part"
    return text.get_content(), html.get_content()


# --- end to end --------------------------------------------------------------------------


async def test_paying_sends_one_confirmation_to_the_customer_over_smtp(
    db, customer, app_with, make_settings, tmp_path
):
    mug, tea = await add_products(db, 1250, 405)
    with smtp_server() as smtp:
        settings = make_settings(
            background_tasks=True,
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_tls="none",
            mail_poll_seconds=0.1,
            data_dir=tmp_path,
        )
        async with app_with(settings) as http:
            order = await place_and_pay(http, customer, [(mug, 2), (tea, 1)])
            outbox_id = f"order-confirmation:{order_object_id(order['id'])}"

            assert await poll(lambda: smtp.accepted), "the SMTP server got no message"
            assert await poll(
                lambda: db.outbox.count_documents({"_id": outbox_id, "status": "SENT"})
            ), "the outbox entry was not marked SENT"
            # Ten more polls of the mailer: nothing is sent again.
            await asyncio.sleep(1.0)
            assert len(smtp.accepted) == 1, [data for _, _, data in smtp.accepted]

    mail_from, rcpt_tos, _ = smtp.accepted[0]
    assert rcpt_tos == [customer.email]
    assert mail_from == "orders@shopgraph.local"
    (message,) = smtp.messages
    assert message["To"] == customer.email
    assert message["From"] == SENDER
    assert message["Subject"] == f"Your order #{order['number']} is confirmed"
    assert message["Message-ID"] == f"<order-{order_object_id(order['id'])}-confirmation@shopgraph>"
    text, html = text_and_html(message)
    assert f"Thank you for your order #{order['number']}." in text
    assert f"2 x {mug['name']} ({mug['sku']}) at 12.50 USD = 25.00 USD" in text
    assert f"1 x {tea['name']} ({tea['sku']}) at 4.05 USD = 4.05 USD" in text
    assert text.rstrip().endswith("Total: 29.05 USD")
    assert f"#{order['number']}" in html
    assert "Total: 29.05 USD" in html
    assert "<li>" in html and "25.00 USD" in html

    entry = await outbox_entry(db, outbox_id)
    assert entry["status"] == "SENT"
    assert entry["attempts"] == 1
    assert entry["to"] == customer.email
    assert "sentAtMs" in entry
    assert await db.outbox.count_documents({}) == 1
    assert (await db.orders.find_one({"_id": order_object_id(order["id"])}))[
        "confirmation"
    ] == "QUEUED"


async def test_paying_queues_exactly_one_message(db, client, customer):
    order_id, outbox_id = await paid_order(db, client, customer)

    assert await db.outbox.count_documents({}) == 1
    entry = await outbox_entry(db, outbox_id)
    assert entry["status"] == "PENDING"
    assert entry["attempts"] == 0
    assert entry["dueMs"] <= now_ms()
    assert entry["to"] == customer.email
    assert entry["orderId"] == order_id
    assert "Total: 25.00 USD" in entry["text"]


# --- the mailer: leases, retries, giving up -----------------------------------------------


async def test_a_sender_that_dies_mid_send_is_replaced_once_its_lease_runs_out(
    db, client, customer
):
    _, outbox_id = await paid_order(db, client, customer)
    outbox = Datasources.for_database(db).outbox

    crashing = DiesWhileSending()
    try:
        await Mailer(outbox, crashing, max_attempts=5).send_due()
    except ProcessDied:
        pass
    else:
        raise AssertionError("the crashing transport was never called")
    assert crashing.calls == 1
    left = await outbox_entry(db, outbox_id)
    assert left["status"] == "SENDING"
    assert left["dueMs"] > now_ms() + LEASE_MS - 10_000  # still leased to the dead sender

    with smtp_server() as smtp:
        restarted = Mailer(outbox, smtp_transport(smtp.port), max_attempts=5)
        # While the lease holds, the message belongs to the (dead) sender that claimed it.
        assert await restarted.send_due() == 0
        assert smtp.accepted == []

        await make_due(db, outbox_id)
        assert await restarted.send_due() == 1
        assert await restarted.send_due() == 0
        assert await Mailer(outbox, smtp_transport(smtp.port), 5).send_due() == 0

    assert len(smtp.accepted) == 1
    assert smtp.accepted[0][1] == [customer.email]
    text, _ = text_and_html(smtp.messages[0])
    assert "Total: 25.00 USD" in text
    entry = await outbox_entry(db, outbox_id)
    assert entry["status"] == "SENT"
    assert entry["attempts"] == 2


async def test_a_sender_whose_lease_ran_out_does_not_undo_the_delivery_of_its_successor(
    db, client, customer
):
    """A send can outlast the lease (aiosmtplib's timeout=30 is per command, not per
    message): another sender then takes the message over and delivers it. When the slow
    send finally fails, its failure must not put the delivered message back in the queue."""
    _, outbox_id = await paid_order(db, client, customer)
    outbox = Datasources.for_database(db).outbox
    slow = StallsThenFails()

    stalled = asyncio.create_task(Mailer(outbox, slow, max_attempts=5).send_due())
    try:
        assert await poll(lambda: slow.started.is_set()), "the slow sender never started"
        await make_due(db, outbox_id)  # its lease runs out while it is still sending
        with smtp_server() as smtp:
            successor = Mailer(outbox, smtp_transport(smtp.port), max_attempts=5)
            assert await successor.send_due() == 1
            assert (await outbox_entry(db, outbox_id))["status"] == "SENT"

            slow.release.set()  # the slow send times out now
            assert await asyncio.wait_for(stalled, 5) == 0

            entry = await outbox_entry(db, outbox_id)
            assert entry["status"] == "SENT", (
                f"the stale sender's failure overwrote SENT: {entry['status']}, "
                f"lastError={entry.get('lastError')!r}"
            )
            await make_due(db, outbox_id)
            assert await successor.send_due() == 0
        assert len(smtp.accepted) == 1
    finally:
        slow.release.set()
        if not stalled.done():
            stalled.cancel()


async def test_senders_running_at_once_deliver_each_message_once(db, client, customer):
    products = await add_products(db, 100, 200, 300, 400, 500, 600)
    for product in products:
        await place_and_pay(client, customer, [(product, 1)])
    outbox = Datasources.for_database(db).outbox
    assert await db.outbox.count_documents({"status": "PENDING"}) == 6
    # Open several connections first, so the senders' claims really reach MongoDB together.
    await asyncio.gather(*(db.outbox.find_one({"_id": "warm-up"}) for _ in range(8)))

    with smtp_server() as smtp:
        mailers = [Mailer(outbox, smtp_transport(smtp.port), 5) for _ in range(4)]
        delivered = await asyncio.gather(*(mailer.send_due() for mailer in mailers))

    assert sum(delivered) == 6
    message_ids = [message["Message-ID"] for message in smtp.messages]
    assert len(message_ids) == 6, message_ids
    assert len(set(message_ids)) == 6
    assert await db.outbox.count_documents({"status": "SENT", "attempts": 1}) == 6


async def test_a_mail_server_that_is_down_gets_the_message_later(db, client, customer):
    _, outbox_id = await paid_order(db, client, customer)
    outbox = Datasources.for_database(db).outbox
    port = free_port()  # nothing listens here yet
    mailer = Mailer(outbox, smtp_transport(port), max_attempts=5)

    before = now_ms()
    assert await mailer.send_due() == 0
    after = now_ms()
    failed = await outbox_entry(db, outbox_id)
    assert failed["status"] == "PENDING"
    assert failed["attempts"] == 1
    assert failed["lastError"]
    assert before + 2000 <= failed["dueMs"] <= after + 2000  # 1 s * 2**attempts

    # Not retried before its backoff is over, even once the server is back. The backoff is
    # lengthened so that a slow machine cannot outlast it during the next steps.
    await db.outbox.update_one({"_id": outbox_id}, {"$set": {"dueMs": now_ms() + 3_600_000}})
    assert await mailer.send_due() == 0
    with smtp_server(port) as smtp:
        assert await mailer.send_due() == 0
        assert smtp.calls == 0
        assert (await outbox_entry(db, outbox_id))["attempts"] == 1

        await make_due(db, outbox_id)
        assert await mailer.send_due() == 1
        assert await mailer.send_due() == 0

    assert len(smtp.accepted) == 1
    assert smtp.accepted[0][1] == [customer.email]
    entry = await outbox_entry(db, outbox_id)
    assert entry["status"] == "SENT"
    assert entry["attempts"] == 2


async def test_the_mailer_gives_up_after_max_attempts(db, client, customer):
    _, outbox_id = await paid_order(db, client, customer)
    outbox = Datasources.for_database(db).outbox

    with smtp_server(reply="554 5.7.1 Rejected for this test") as smtp:
        mailer = Mailer(outbox, smtp_transport(smtp.port), max_attempts=3)
        for attempt in (1, 2):
            before = now_ms()
            assert await mailer.send_due() == 0
            entry = await outbox_entry(db, outbox_id)
            assert entry["status"] == "PENDING", entry
            assert entry["attempts"] == attempt
            assert entry["dueMs"] >= before + 1000 * 2**attempt
            assert "554" in entry["lastError"]
            await make_due(db, outbox_id)

        assert await mailer.send_due() == 0
        given_up = await outbox_entry(db, outbox_id)
        assert given_up["status"] == "FAILED"
        assert given_up["attempts"] == 3
        assert "554" in given_up["lastError"]

        # A FAILED message is never tried again, however long ago it was due.
        await make_due(db, outbox_id)
        assert await mailer.send_due() == 0
        assert await Mailer(outbox, smtp_transport(smtp.port), 10).send_due() == 0

    assert smtp.calls == 3
    assert smtp.accepted == []
    assert (await outbox_entry(db, outbox_id))["status"] == "FAILED"


# --- without SMTP: files -------------------------------------------------------------------


async def test_without_smtp_the_confirmation_is_written_once_as_an_eml_file(
    db, customer, app_with, make_settings, tmp_path
):
    (product,) = await add_products(db, 1250)
    settings = make_settings(background_tasks=True, mail_poll_seconds=0.1, data_dir=tmp_path)
    assert isinstance(mail_transport(settings), FileTransport)
    outbox_dir = tmp_path / "outbox"

    async with app_with(settings) as http:
        order = await place_and_pay(http, customer, [(product, 2)])
        outbox_id = f"order-confirmation:{order_object_id(order['id'])}"
        assert await poll(lambda: outbox_dir.is_dir() and any(outbox_dir.glob("*.eml")))
        assert await poll(lambda: db.outbox.count_documents({"_id": outbox_id, "status": "SENT"}))

    files = list(outbox_dir.iterdir())
    assert len(files) == 1, files
    first_bytes = files[0].read_bytes()
    message = email.message_from_bytes(first_bytes, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["To"] == customer.email
    assert message["Subject"] == f"Your order #{order['number']} is confirmed"
    text, html = text_and_html(message)
    assert f"2 x {product['name']} ({product['sku']}) at 12.50 USD = 25.00 USD" in text
    assert "Total: 25.00 USD" in text
    assert "Total: 25.00 USD" in html

    # Delivered a second time (a sender died after writing it): still one file.
    await db.outbox.update_one({"_id": outbox_id}, {"$set": {"status": "PENDING"}})
    await make_due(db, outbox_id)
    mailer = Mailer(Datasources.for_database(db).outbox, mail_transport(settings), 3)
    assert await mailer.send_due() == 1
    assert list(outbox_dir.iterdir()) == files
    again = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert again["Message-ID"] == message["Message-ID"]
    assert text_and_html(again) == (text, html)  # the same message (MIME boundaries differ)


async def test_the_file_transport_names_the_file_after_the_message_id(tmp_path: Path):
    message = EmailMessage()
    message["Message-ID"] = "<order-abc/../x-confirmation@shopgraph>"
    message["To"] = "someone@shop.test"
    message.set_content("hello")
    directory = tmp_path / "nested" / "outbox"

    await FileTransport(directory).send(message)
    await FileTransport(directory).send(message)

    (path,) = directory.iterdir()
    assert path.name == "order-abc_.._x-confirmation_shopgraph.eml"
    assert email.message_from_bytes(path.read_bytes())["To"] == "someone@shop.test"


# --- the sweep ----------------------------------------------------------------------------


async def test_the_sweep_queues_the_confirmation_of_an_order_paid_by_a_process_that_died(
    db, client, customer, tmp_path
):
    order_id, outbox_id = await paid_order(db, client, customer)
    # The process died after the order became PAID and before the outbox write.
    await db.outbox.delete_many({})
    await db.orders.update_one({"_id": order_id}, {"$set": {"confirmation": "PENDING"}})
    datasources = Datasources.for_database(db)
    sweeper = order_service(datasources, FakeGateway(), "from@x")

    await sweeper.recover()

    assert await db.outbox.count_documents({}) == 1
    entry = await outbox_entry(db, outbox_id)
    assert entry["status"] == "PENDING"
    assert entry["to"] == customer.email
    assert entry["from"] == "from@x"
    assert entry["orderId"] == order_id
    assert "Total: 25.00 USD" in entry["text"]
    assert (await db.orders.find_one({"_id": order_id}))["confirmation"] == "QUEUED"

    await sweeper.recover()
    assert await db.outbox.count_documents({}) == 1

    # Two processes sweeping at once, the order still marked PENDING: still one message.
    await db.orders.update_one({"_id": order_id}, {"$set": {"confirmation": "PENDING"}})
    await asyncio.gather(
        sweeper.recover(), order_service(datasources, FakeGateway(), "x@y").recover()
    )
    assert await db.outbox.count_documents({}) == 1
    assert (await outbox_entry(db, outbox_id))["from"] == "from@x"

    # And the mailer delivers it.
    mailer = Mailer(datasources.outbox, FileTransport(tmp_path), 3)
    assert await mailer.send_due() == 1
    (path,) = tmp_path.glob("*.eml")
    assert "Total: 25.00 USD" in email.message_from_bytes(path.read_bytes()).as_string()


async def test_the_sweep_does_not_queue_a_confirmation_that_was_already_sent(
    db, client, customer, tmp_path
):
    order_id, outbox_id = await paid_order(db, client, customer)
    outbox = Datasources.for_database(db).outbox
    assert await Mailer(outbox, FileTransport(tmp_path), 3).send_due() == 1
    # A sweep that read the order before the request marked its confirmation QUEUED.
    await db.orders.update_one({"_id": order_id}, {"$set": {"confirmation": "PENDING"}})

    await order_service(Datasources.for_database(db), FakeGateway(), "from@x").recover()

    assert await db.outbox.count_documents({}) == 1
    assert (await outbox_entry(db, outbox_id))["status"] == "SENT"
    assert await Mailer(outbox, FileTransport(tmp_path), 3).send_due() == 0
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_each_line_names_its_variant_when_the_product_has_options():
    boot = {"name": "Boot", "variantTitle": "42 / Black", "sku": "BOOT-42-BLACK"}
    mug = {"name": "Mug", "variantTitle": None, "sku": "MUG-1"}
    order = {
        "_id": ObjectId(),
        "number": 7,
        "currency": "USD",
        "total": 11500,
        "items": [
            {**boot, "quantity": 1, "unitPrice": 8900, "lineTotal": 8900},
            {**mug, "quantity": 2, "unitPrice": 1300, "lineTotal": 2600},
        ],
    }

    message = confirmation_message(order, "customer@shop.test", "shop@shop.test")

    assert "1 x Boot, 42 / Black (BOOT-42-BLACK) at 89.00 USD = 89.00 USD" in message["text"]
    assert "2 x Mug (MUG-1) at 13.00 USD = 26.00 USD" in message["text"]
    assert "Boot, 42 / Black (BOOT-42-BLACK)" in message["html"]
