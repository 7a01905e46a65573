"""Logs: text for a developer's terminal, or one JSON object per line for a log collector
(SHOPGRAPH_LOG_FORMAT), uvicorn's access and error logs included.

Every record carries the request ID, the GraphQL operation's name and the viewer's user
ID of the request it was written for, from context variables that the GraphQL view and
`metrics.operations` set. Never in a log: passwords and tokens (no code logs them; a JWT
or `Bearer` value that reaches a message anyway is replaced), and email addresses
(replaced wherever they appear). Query strings are cut from the paths uvicorn logs: a
GET /graphql carries its variables there.
"""

import logging
import logging.config
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

from shopgraph.settings import LogFormat, Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("shopgraph_request_id", default=None)
OPERATION: ContextVar[str | None] = ContextVar("shopgraph_operation", default=None)
VIEWER_ID: ContextVar[str | None] = ContextVar("shopgraph_viewer_id", default=None)
CONTEXT = {"request_id": REQUEST_ID, "operation": OPERATION, "viewer_id": VIEWER_ID}
# What a record may carry besides (`extra=`), written in this order after the context.
FIELDS = (
    "duration_ms",
    "operation_type",
    "outcome",
    "error_codes",
    "client",
    "method",
    "path",
    "status",
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ACCESS_ARGUMENTS = 5  # uvicorn.access: client, method, path, HTTP version, status

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\bbearer\s+[^\s\"',;]+")


def redact(text: str) -> str:
    """The text without email addresses, JWTs or bearer tokens."""
    text = _BEARER.sub("Bearer [token]", text)
    text = _JWT.sub("[token]", text)
    return _EMAIL.sub("[email]", text)


def _without_query(value: object) -> object:
    if isinstance(value, str) and value.startswith("/"):
        return value.split("?", 1)[0]
    return value


class RequestContext(logging.Filter):
    """Adds the request's context to each record, and cuts query strings from uvicorn's."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in CONTEXT.items():
            if getattr(record, name, None) is None:
                setattr(record, name, variable.get())
        if record.name.startswith("uvicorn") and isinstance(record.args, tuple):
            record.args = tuple(_without_query(argument) for argument in record.args)
            if record.name == "uvicorn.access" and len(record.args) == ACCESS_ARGUMENTS:
                record.client, record.method, record.path, _, record.status = record.args
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """time (UTC), level, logger and message, then whatever context the record has."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in (*CONTEXT, *FIELDS):
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return orjson.dumps(entry, default=str).decode()


def logging_config(settings: Settings) -> dict[str, Any]:
    """For `logging.config.dictConfig`, and for uvicorn's `log_config`, which applies it in
    each worker process too. Everything goes to stderr through one handler."""
    formatter = "JsonFormatter" if settings.log_format_in_use is LogFormat.JSON else "TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": f"{__name__}.RequestContext"}},
        "formatters": {"shopgraph": {"()": f"{__name__}.{formatter}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "shopgraph",
                "filters": ["context"],
            }
        },
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
        "root": {"level": settings.log_level.upper(), "handlers": ["stderr"]},
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
    logging.captureWarnings(True)  # a library's warning is a log line too, not stray text
