"""The tracer provider of a Shopgraph process: its resource (service `shopgraph`), where its
spans go, and the pieces that make them. Imported only when tracing is on."""

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata

from opentelemetry.sdk.resources import (
    SERVICE_NAME,
    SERVICE_VERSION,
    OTELResourceDetector,
    Resource,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from strawberry.extensions import SchemaExtension

from shopgraph.server.tracing.mongodb import CommandSpans
from shopgraph.server.tracing.operations import OperationSpans, ResolverSampling
from shopgraph.settings import Settings

logger = logging.getLogger("shopgraph.server")

SERVICE = "shopgraph"
PROTOCOL_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
SUPPORTED_PROTOCOL = "http/protobuf"
FLUSH_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ProcessTracing:
    """The `server.tracing.Tracing` of this process: what create_app wires in."""

    provider: TracerProvider
    extension: Callable[[], SchemaExtension]
    command_listener: CommandSpans

    def shutdown(self) -> None:
        """Sends the spans still queued, giving the collector FLUSH_SECONDS at most: a
        server shutting down must not wait on an unreachable collector (spans still
        unsent then are lost)."""
        flush = threading.Thread(target=self.provider.shutdown, name="span flush", daemon=True)
        flush.start()
        flush.join(FLUSH_SECONDS)


def tracing_to(exporter: SpanExporter, settings: Settings, *, batch: bool = True) -> ProcessTracing:
    """Spans of this process, sent to `exporter`: in batches from a thread of their own, or
    (`batch=False`) each as it ends, which tests read at once."""
    # Shut down by the app's lifespan, within a bound; not again, unbounded, at exit.
    provider = TracerProvider(resource=process_resource(), shutdown_on_exit=False)
    provider.add_span_processor(
        BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    )
    sampling = ResolverSampling(settings.trace_resolver_ratio, settings.trace_resolver_limit)

    def operation_spans() -> OperationSpans:
        return OperationSpans(provider, sampling)

    return ProcessTracing(provider, operation_spans, CommandSpans(provider))


def otlp_tracing(settings: Settings, environ: Mapping[str, str]) -> ProcessTracing:
    """Tracing to an OTLP/HTTP collector, configured by the standard OTEL_* variables."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    variable = next((name for name in PROTOCOL_VARIABLES if environ.get(name)), None)
    if variable is not None and environ[variable].strip() != SUPPORTED_PROTOCOL:
        logger.warning(
            "%s=%s: Shopgraph sends traces over OTLP/HTTP (%s) only; point "
            "OTEL_EXPORTER_OTLP_ENDPOINT at the collector's HTTP port (4318 by default)",
            variable,
            environ[variable],
            SUPPORTED_PROTOCOL,
        )
    return tracing_to(OTLPSpanExporter(), settings)


def process_resource() -> Resource:
    """Service `shopgraph` at the installed version, unless OTEL_SERVICE_NAME or
    OTEL_RESOURCE_ATTRIBUTES say otherwise."""
    try:
        version = metadata.version(SERVICE)
    except metadata.PackageNotFoundError:
        version = "unknown"
    ours = Resource.create({SERVICE_NAME: SERVICE, SERVICE_VERSION: version})
    return ours.merge(OTELResourceDetector().detect())
