"""Sends the outbox: claims a message with a lease, delivers it, marks it sent.

A sender that dies mid-way loses its lease and another one delivers the message. The
Message-ID is fixed per message, so a receiver can recognise the rare repeat (a crash
after the mail server accepted a message but before it was marked sent).
"""

import logging

from shopgraph.datasources.outbox import OutboxDatasource
from shopgraph.integrations.mail import MailTransport, email_message

logger = logging.getLogger("shopgraph.mail")

LEASE_MS = 60_000
MAX_BACKOFF_MS = 5 * 60_000


class Mailer:
    def __init__(
        self, outbox: OutboxDatasource, transport: MailTransport, max_attempts: int
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self.max_attempts = max_attempts
        self._stopping = False

    def stop(self) -> None:
        """Ends `send_due` after the message it is sending, before it claims another."""
        self._stopping = True

    async def send_due(self) -> int:
        """Sends every message that is due (until stopped); returns how many were delivered."""
        delivered = 0
        while not self._stopping and (message := await self.outbox.claim(LEASE_MS)) is not None:
            try:
                await self.transport.send(email_message(message))
            except Exception as error:  # any failure of the mail server: retry later
                await self._failed(message, error)
                continue
            await self.outbox.mark_sent(message)
            delivered += 1
        return delivered

    async def _failed(self, message: dict[str, object], error: Exception) -> None:
        attempts = int(message.get("attempts", 1))  # type: ignore[call-overload]
        if attempts >= self.max_attempts:
            logger.error(
                "giving up on email %s after %d attempts: %s", message["_id"], attempts, error
            )
            await self.outbox.give_up(message, repr(error))
            return
        delay = min(1000 * 2**attempts, MAX_BACKOFF_MS)
        logger.warning("email %s failed (%s); retrying in %d ms", message["_id"], error, delay)
        await self.outbox.retry_later(message, delay, repr(error))
