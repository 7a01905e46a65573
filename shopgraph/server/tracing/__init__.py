"""Traces over OpenTelemetry, when asked for: a span per GraphQL operation, a sample of its
resolvers, and a span per MongoDB command, all in one trace per request
(docs/operations/tracing.md).

This module imports no OpenTelemetry: without OTEL_EXPORTER_OTLP_ENDPOINT, or without the
`otel` extra installed, the app runs exactly as it would without tracing.
"""

import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pymongo.monitoring import CommandListener
    from strawberry.extensions import SchemaExtension

    from shopgraph.settings import Settings

__all__ = ["ENDPOINT_VARIABLES", "Tracing", "tracing_from_environment"]

logger = logging.getLogger("shopgraph.server")

# The standard OpenTelemetry variables; either one turns tracing on.
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
OTEL_PACKAGE = "opentelemetry"


class Tracing(Protocol):
    """What the app needs to trace: a schema extension that runs outside all others, a
    listener for the MongoDB client, and a flush of the spans not sent yet, at shutdown.
    `provider.tracing_to` makes one."""

    @property
    def extension(self) -> "Callable[[], SchemaExtension]": ...

    @property
    def command_listener(self) -> "CommandListener": ...

    def shutdown(self) -> None: ...


def tracing_from_environment(
    settings: "Settings", environ: Mapping[str, str] = os.environ
) -> Tracing | None:
    """Tracing to the OTLP endpoint that the environment names, or None when none is named,
    when OTEL_SDK_DISABLED is true, or when the `otel` extra is missing (said once, as a
    warning: the server still serves, without traces)."""
    variable = next((name for name in ENDPOINT_VARIABLES if environ.get(name)), None)
    if variable is None or environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    try:
        from shopgraph.server.tracing.provider import otlp_tracing
    except ImportError as error:
        if not (error.name or "").startswith(OTEL_PACKAGE):
            raise
        logger.warning(
            "%s is set but OpenTelemetry is not installed (no module %s): sending no traces. "
            "Install the otel extra: pip install 'shopgraph[otel]'",
            variable,
            error.name,
        )
        return None
    return otlp_tracing(settings, environ)
