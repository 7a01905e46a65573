"""Sending account emails (reset codes, confirmation codes, sign-up notices) through the
outbox, at a rate no one can turn into a flood.

Per kind of email and per address: at most one every MAIL_SPACING, and at most
MAILS_PER_WINDOW in MAIL_WINDOW. And per client address, whatever addresses it names: at
most RESETS_PER_CLIENT password-reset requests in RESET_CLIENT_WINDOW, so that one client
cannot mail every known address, keep replacing their owners' codes, or fill `mail_quota`
with documents. A request beyond a limit sends nothing. Whether its sender learns it
depends on the request: `requestPasswordReset` answers the same (its caller must not learn
whether the address has an account), `requestEmailVerification`, whose caller is the
account's owner, gets TOO_MANY_ATTEMPTS (see `auth.recovery`). The counts live in MongoDB,
so they hold across server processes.
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
RESET_CLIENT_WINDOW = timedelta(hours=1)
RESETS_PER_CLIENT = 10  # requests, per client address, whichever addresses they name


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

    async def client_may_ask_reset(self, client: str) -> bool:
        """Takes one of the client address's password-reset requests; False when it has
        used them all. Taken before the address's own slot, so that a client over its
        limit uses up nobody's quota."""
        return await self.quota.take(
            f"reset-client:{client}", timedelta(0), RESET_CLIENT_WINDOW, RESETS_PER_CLIENT
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
