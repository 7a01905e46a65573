"""The store's own numbers: orders, live stock, the outbox.

Counted where the server wires the domain together, so that the domain knows nothing of
metrics: the order service tells `CountedOrders` of each change (`checkout.order_events`),
the stock feed publishes through `MeteredStockBroker`, the mailer sends through
`MeteredMailTransport`. What is stored rather than done (orders holding stock, emails not
sent) is read from MongoDB by `StoreGauges`.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.message import EmailMessage

from pymongo.errors import PyMongoError

from shopgraph.checkout.order_events import HOLD_EXPIRED
from shopgraph.checkout.order_states import OrderStatus
from shopgraph.checkout.orders import Orders
from shopgraph.datasources.client import Datasources
from shopgraph.documents import Document
from shopgraph.integrations.mail import MailTransport
from shopgraph.live.broker import StockBroker, StockChange, Subscriber, Watched
from shopgraph.server.metrics.instruments import (
    FEED_LAG_SECONDS,
    LIVE_EVENTS,
    MAIL_FAILURES,
    MAIL_SENT,
    ORDERS_CANCELLED,
    ORDERS_PAID,
    ORDERS_PENDING,
    ORDERS_PLACED,
    OUTBOX_BACKLOG,
    OUTBOX_GIVEN_UP,
    SUBSCRIPTIONS,
)

logger = logging.getLogger("shopgraph.metrics")


class CountedOrders:
    """The order service's `OrderEvents`."""

    def placed(self, order: Document) -> None:
        ORDERS_PLACED.inc()

    def paid(self, order: Document) -> None:
        ORDERS_PAID.inc()

    def cancelled(self, order: Document) -> None:
        expired = order.get("cancelReason") == HOLD_EXPIRED
        ORDERS_CANCELLED.labels("expired" if expired else "requested").inc()


def seconds_since(moment: object) -> float | None:
    """From a stored date to now; None when there is none to read. The embedded MongoDB
    may hand back a date as ISO text."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return None
    if not isinstance(moment, datetime):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - moment).total_seconds())


class MeteredStockBroker(StockBroker):
    def publish(self, change: StockChange) -> None:
        LIVE_EVENTS.inc()
        lag = seconds_since(change.product.get("updatedAt"))
        if lag is not None:
            FEED_LAG_SECONDS.observe(lag)
        super().publish(change)

    @asynccontextmanager
    async def subscribe(self, watched: Watched) -> AsyncIterator[Subscriber]:
        async with super().subscribe(watched) as subscriber:
            SUBSCRIPTIONS.inc()
            try:
                yield subscriber
            finally:
                SUBSCRIPTIONS.dec()

    def joined(self) -> None:
        super().joined()
        SUBSCRIPTIONS.inc()

    def left(self) -> None:
        super().left()
        SUBSCRIPTIONS.dec()


class MeteredMailTransport:
    def __init__(self, transport: MailTransport) -> None:
        self.transport = transport

    async def send(self, message: EmailMessage) -> None:
        try:
            await self.transport.send(message)
        except Exception:
            MAIL_FAILURES.inc()
            raise
        MAIL_SENT.inc()


class StoreGauges:
    """Orders PENDING and the outbox's backlog, as MongoDB holds them. A process answering
    a scrape on the public port reads them first; the metrics port is answered by a thread
    (or by the parent of the workers) that reads no MongoDB, so with one every process
    reads them every SHOPGRAPH_METRICS_REFRESH_SECONDS."""

    def __init__(self, datasources: Datasources, timeout_seconds: float) -> None:
        self.datasources = datasources
        self.timeout_seconds = timeout_seconds

    async def refresh(self) -> None:
        pending, unsent, given_up = await asyncio.gather(
            self.datasources.orders.count(Orders.listing(None, OrderStatus.PENDING)),
            self.datasources.outbox.count_unsent(),
            self.datasources.outbox.count_given_up(),
        )
        ORDERS_PENDING.set(pending)
        OUTBOX_BACKLOG.set(unsent)
        OUTBOX_GIVEN_UP.set(given_up)

    async def refresh_for_scrape(self) -> None:
        """A scrape is answered even when MongoDB is not: with the values last read."""
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await self.refresh()
        except (PyMongoError, TimeoutError) as error:
            logger.warning("metrics: could not read the counts from MongoDB (%s)", error)
