"""Delivering email: over SMTP when a server is configured, else as .eml files on disk."""

import logging
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

from shopgraph.settings import Settings

logger = logging.getLogger("shopgraph.mail")


class MailTransport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    def __init__(
        self, host: str, port: int, tls: str, username: str | None, password: str | None
    ) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.username, self.password = username, password

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            use_tls=self.tls == "tls",
            start_tls=self.tls == "starttls",
            username=self.username,
            password=self.password,
            timeout=30,
        )


class FileTransport:
    """Development without SMTP: one file per message, named by its id, so a message
    delivered twice is still one file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", str(message["Message-ID"]).strip("<>"))
        path = self.directory / f"{name}.eml"
        path.write_bytes(bytes(message))
        logger.info("email written to %s", path)  # not its address: logs hold none


def mail_transport(settings: Settings) -> MailTransport:
    if settings.smtp_host:
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_tls,
            settings.smtp_username,
            settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
    return FileTransport(settings.outbox_dir)


def email_message(stored: dict[str, str]) -> EmailMessage:
    """The message an outbox entry describes: plain text, with an HTML alternative if it
    has one."""
    message = EmailMessage()
    message["Message-ID"] = stored["messageId"]
    message["From"] = stored["from"]
    message["To"] = stored["to"]
    message["Subject"] = stored["subject"]
    message.set_content(stored["text"])
    if stored.get("html"):
        message.add_alternative(stored["html"], subtype="html")
    return message
