"""Helpers shared by the test modules."""

from datetime import timedelta

from shopgraph.checkout.deps import GRACE, Checkout
from shopgraph.checkout.orders import Orders
from shopgraph.datasources.client import Datasources
from shopgraph.integrations.payments import PaymentGateway


def order_service(
    datasources: Datasources, gateway: PaymentGateway, mail_from: str, grace: timedelta = GRACE
) -> Orders:
    """The order service as a server process builds it, for running its sweep directly."""
    return Orders(
        Checkout(
            datasources=datasources,
            gateway=gateway,
            currency="USD",
            hold=timedelta(minutes=30),
            transactions=False,
            mail_from=mail_from,
            grace=grace,
        )
    )
