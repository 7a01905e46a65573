"""Sending account emails (reset codes, confirmation codes, sign-up notices) through the
outbox, at a rate no one can turn into a flood.

Per kind of email and per address: at most one every MAIL_SPACING, and at most
MAILS_PER_WINDOW in MAIL_WINDOW. A request beyond that sends nothing, and whoever sent it
is told nothing different (see `auth.recovery`). The counts live in MongoDB, so they hold
across server processes.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from shopgraph.auth.account_messages import AccountMessage
from shopgraph.datasources.mail_quota import MailQuotaDatasource
from shopgraph.datasources.outbox import OutboxDatasource

MAIL_SPACING = timedelta(minutes=1)
MAIL_WINDOW = timedelta(hours=1)
MAILS_PER_WINDOW = 5


class AccountMailKind(StrEnum):
    PASSWORD_RESET = "password-reset"
    EMAIL_VERIFICATION = "email-verification"
    SIGNUP_ATTEMPT = "signup-attempt"


@dataclass(frozen=True, slots=True)
class AccountMail:
    outbox: OutboxDatasource
    quota: MailQuotaDatasource
    sender: str

    async def may_send(self, kind: AccountMailKind, address: str) -> bool:
        """Takes one of the address's slots for this kind of email; False when none is free.
        Counted whether or not the address has an account, so the count tells nothing."""
        return await self.quota.take(
            f"{kind}:{address}", MAIL_SPACING, MAIL_WINDOW, MAILS_PER_WINDOW
        )

    async def send(self, kind: AccountMailKind, message: AccountMessage) -> None:
        """Queues the message for the mailer. A body that carries a one-time code is dropped
        from the outbox once the message is sent."""
        name = f"{kind}-{uuid.uuid4().hex}"
        await self.outbox.enqueue(
            name,
            {
                "kind": str(kind),
                "messageId": f"<{name}@shopgraph>",
                "from": self.sender,
                "to": message.to,
                "subject": message.subject,
                "text": message.text,
                "redact": kind is not AccountMailKind.SIGNUP_ATTEMPT,
            },
        )
