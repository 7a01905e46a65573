"""What the buy flow works with, built once per process by the composition root."""

from dataclasses import dataclass, field
from datetime import timedelta

from shopgraph.checkout.order_events import NoOrderEvents, OrderEvents
from shopgraph.datasources.client import Datasources
from shopgraph.integrations.payments import PaymentGateway

# Work younger than this is left alone by the recovery sweep: a live request may still be
# doing it.
GRACE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class OrderLimits:
    """What one customer may ask of the stock at once, so that no account can hold the
    shelves: unpaid orders (those still being placed included), units per line, and units
    in all unpaid orders together."""

    max_pending_orders: int
    max_line_quantity: int
    max_held_units: int


@dataclass(frozen=True, slots=True)
class Checkout:
    datasources: Datasources
    gateway: PaymentGateway
    currency: str
    hold: timedelta  # how long an unpaid order keeps its stock
    transactions: bool  # take stock in a multi-document transaction (replica sets)
    mail_from: str
    limits: OrderLimits
    grace: timedelta = GRACE
    events: OrderEvents = field(default_factory=NoOrderEvents)
