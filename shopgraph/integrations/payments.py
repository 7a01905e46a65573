"""Taking payment: the gateway interface, and the test gateway used in development.

Amounts are integer minor units. Every call carries an idempotency key, so retrying a
call the gateway already performed never charges or refunds twice. As real gateways do,
a key's first answer is replayed, a decline included.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from shopgraph.settings import Settings

logger = logging.getLogger("shopgraph.payments")
T = TypeVar("T")


class PaymentDeclined(Exception):
    """The card or account refused the charge: the customer must use another one."""


class PaymentUnavailable(Exception):
    """The gateway failed in a way that may pass: the call can be retried."""


@dataclass(frozen=True, slots=True)
class Charge:
    gateway: str
    reference: str
    amount: int
    currency: str


class PaymentGateway(Protocol):
    name: str

    async def authorize(
        self, amount: int, currency: str, token: str, idempotency_key: str
    ) -> str: ...

    async def capture(self, authorization: str, amount: int, idempotency_key: str) -> Charge: ...

    async def refund(self, reference: str, amount: int, idempotency_key: str) -> str: ...


class TestGateway:
    """A gateway that needs no account. Tokens: `tok_visa` succeeds, `tok_chargeDeclined`
    is declined, `tok_processingError` fails as if the gateway were down (and is not
    remembered: a retry may succeed)."""

    name = "test"
    __test__ = False  # a name pytest would otherwise try to collect
    SUCCEEDS = "tok_visa"
    DECLINED = "tok_chargeDeclined"
    PROCESSING_ERROR = "tok_processingError"

    def __init__(self) -> None:
        self._done: dict[str, str] = {}  # idempotency key -> result
        self._declined: set[str] = set()  # idempotency keys answered with a decline
        self._authorized: dict[str, tuple[int, str]] = {}

    async def authorize(self, amount: int, currency: str, token: str, idempotency_key: str) -> str:
        if idempotency_key in self._done:
            return self._done[idempotency_key]
        if idempotency_key in self._declined:
            raise PaymentDeclined("the card was declined")
        if token == self.PROCESSING_ERROR:
            raise PaymentUnavailable("the test gateway simulates a processing error")
        if token != self.SUCCEEDS:
            self._declined.add(idempotency_key)
            raise PaymentDeclined("the card was declined")
        authorization = f"test_auth_{uuid.uuid4().hex}"
        self._authorized[authorization] = (amount, currency)
        self._done[idempotency_key] = authorization
        return authorization

    async def capture(self, authorization: str, amount: int, idempotency_key: str) -> Charge:
        authorized_amount, currency = self._authorized[authorization]
        if amount > authorized_amount:
            raise PaymentDeclined("capture exceeds the authorized amount")
        reference = self._done.setdefault(idempotency_key, f"test_ch_{uuid.uuid4().hex}")
        return Charge(self.name, reference, amount, currency)

    async def refund(self, reference: str, amount: int, idempotency_key: str) -> str:
        return self._done.setdefault(idempotency_key, f"test_re_{uuid.uuid4().hex}")


class GatewayNotAllowed(Exception):
    """The configured gateway may not run here; the message says what to change."""


def payment_gateway(settings: "Settings") -> PaymentGateway:
    """Only the test gateway exists so far; production must opt in to it explicitly."""
    if settings.is_production and not settings.allow_test_gateway:
        raise GatewayNotAllowed(
            "production refuses the test payment gateway; configure a real one, or set "
            "SHOPGRAPH_ALLOW_TEST_GATEWAY=true for a staging server"
        )
    return TestGateway()


async def with_retries(
    attempt: Callable[[], Awaitable[T]], tries: int = 3, first_delay: float = 0.05
) -> T:
    """Retries PaymentUnavailable with exponential backoff, then lets it through."""
    delay = first_delay
    for remaining in range(tries - 1, -1, -1):
        try:
            return await attempt()
        except PaymentUnavailable as error:
            if remaining == 0:
                raise
            logger.warning("payment gateway unavailable (%s); retrying in %.2fs", error, delay)
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
