"""Traces: a span per operation, sampled resolver spans and a span per MongoDB command, in one
trace per request; nothing at all without OTEL_EXPORTER_OTLP_ENDPOINT.

Spans are read from OpenTelemetry's in-memory exporter, wired in by the same function that
wires the OTLP exporter when the variable is set; real `shopgraph serve` processes show the
variable's own path, to a real OTLP/HTTP receiver, and what happens without the extra.
"""

import json
import logging
import re
import signal
import socket
import subprocess
import threading
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from shopgraph.server.app import create_app
from shopgraph.server.embedded import free_port
from shopgraph.server.tracing.provider import tracing_to
from shopgraph.settings import Settings
from tests import test_cli
from tests.conftest import graphql
from tests.helpers import (
    PASSWORD,
    PLACE,
    REGISTER,
    TRANSPORT_WS,
    TestClient,
    add_products,
    line,
    post,
    subscribe_message,
)

env = test_cli.env  # the command tests' environment: the test database, a scratch data dir

REQUEST_ID = "trace-test-request-0001"
ORDER_PRODUCTS = """query OrderProducts($id: ID!) {
  order(id: $id) { items { product { id } } }
}"""
COUNT = "query Count { products { totalCount } }"
STOCK_SUBSCRIPTION = "subscription Stock { stockUpdated { productId stock } }"


@asynccontextmanager
async def traced_app(
    settings: Settings, exporter: InMemorySpanExporter
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, lifespan included, sending its spans to `exporter` as they end."""
    app = create_app(settings, tracing=tracing_to(exporter, settings, batch=False))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 123)),
            base_url="http://shopgraph.test",
        ) as http,
    ):
        yield http


def operation_span(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    [span] = [s for s in spans if (s.attributes or {}).get("graphql.operation.name") == name]
    return span


def trace_of(spans: tuple[ReadableSpan, ...], root: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in spans if s.context.trace_id == root.context.trace_id]


def descends_from(span: ReadableSpan, ancestor: ReadableSpan, spans: list[ReadableSpan]) -> bool:
    by_id = {s.context.span_id: s for s in spans}
    while span.parent is not None:
        if span.parent.span_id == ancestor.context.span_id:
            return True
        span = by_id[span.parent.span_id]
    return False


def named(operation: str, name: str) -> str:
    """The same operation under another name, to tell its trace from the others."""
    return re.sub(r"^(query|mutation) \w+", rf"\1 {name}", operation, count=1)


def resolver_spans(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


async def test_place_order_is_one_trace_of_its_operation_resolvers_and_mongodb_commands(
    db, make_settings, customer
):
    exporter = InMemorySpanExporter()
    settings = make_settings(trace_resolver_ratio=1.0)
    [mug, jug] = await add_products(db, 2, stock=5)
    async with traced_app(settings, exporter) as http:
        response = await post(
            http,
            PLACE,
            {"input": {"items": [line(mug, 2), line(jug, 1)]}},
            headers={**customer.headers, "X-Request-ID": REQUEST_ID},
        )
    payload = response.json()["data"]["placeOrder"]
    assert payload["userErrors"] == [], payload
    assert response.headers["X-Request-ID"] == REQUEST_ID

    spans = exporter.get_finished_spans()
    operation = operation_span(spans, "Place")
    assert operation.name == "mutation Place"
    assert operation.kind is SpanKind.SERVER
    assert operation.parent is None
    assert operation.resource.attributes["service.name"] == "shopgraph"
    assert dict(operation.attributes or {}) == {
        "shopgraph.request_id": REQUEST_ID,
        "graphql.operation.type": "mutation",
        "graphql.operation.name": "Place",
        "shopgraph.outcome": "ok",
    }
    assert trace_of(spans, operation) == list(spans), "one trace, and only the request's"
    assert all(descends_from(s, operation, spans) for s in spans if s is not operation)

    [root_resolver] = resolver_spans(spans, "Mutation.placeOrder")
    assert root_resolver.parent.span_id == operation.context.span_id
    assert root_resolver.attributes["graphql.path"] == "placeOrder"
    # Every resolver that waits is sampled here: each line's product.
    nested = resolver_spans(spans, "OrderItem.product")
    assert sorted(s.attributes["graphql.path"] for s in nested) == [
        "placeOrder.order.items.0.product",
        "placeOrder.order.items.1.product",
    ]
    assert {"GraphQL Parsing", "GraphQL Validation"} <= {s.name for s in spans}

    commands = [s for s in spans if (s.attributes or {}).get("db.system") == "mongodb"]
    operations = {s.attributes["db.operation"] for s in commands}
    assert {"find", "findAndModify", "insert"} <= operations, operations
    assert all(s.kind is SpanKind.CLIENT for s in commands)
    [order_insert] = [
        s
        for s in commands
        if s.attributes["db.operation"] == "insert"
        and s.attributes.get("db.mongodb.collection") == "orders"
    ]
    assert order_insert.name == f"insert {settings.db_name}.orders"
    assert order_insert.attributes["db.name"] == settings.db_name
    assert descends_from(order_insert, root_resolver, spans)  # written inside placeOrder
    # The token's user is read before any resolver runs: under the operation itself.
    [viewer] = [s for s in commands if s.attributes.get("db.mongodb.collection") == "users"]
    assert viewer.parent.span_id == operation.context.span_id
    # Nothing of what was sent: no query text, no arguments, no documents or filters.
    recorded = repr([dict(s.attributes or {}) for s in spans])
    for secret in (customer.email, customer.access_token, str(mug["_id"]), "quantity"):
        assert secret not in recorded


async def test_a_trace_begun_by_the_caller_goes_on_through_the_operation(make_settings):
    exporter = InMemorySpanExporter()
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    async with traced_app(make_settings(), exporter) as http:
        await http.post(
            "/graphql",
            json={"query": "query Hello { products(first: 1) { totalCount } }"},
            headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
        )
    operation = operation_span(exporter.get_finished_spans(), "Hello")
    assert f"{operation.context.trace_id:032x}" == trace_id
    assert f"{operation.parent.span_id:016x}" == parent_id


async def test_every_trace_begins_at_an_operation(db, make_settings):
    """The live feed's change stream, start-up and work after the answer send commands
    with no request to belong to: they make no spans."""
    await add_products(db, 3)
    exporter = InMemorySpanExporter()
    async with traced_app(make_settings(), exporter) as http:
        first = await graphql(http, COUNT)
        second = await graphql(http, "{ products(first: 1) { edges { node { sku } } } }")
    assert first["data"]["products"]["totalCount"] == 3
    assert len(second["data"]["products"]["edges"]) == 1

    spans = exporter.get_finished_spans()
    roots = [s for s in spans if s.parent is None]
    assert sorted(s.name for s in roots) == ["query", "query Count"]
    for root in roots:
        in_trace = trace_of(spans, root)
        assert any(s.attributes.get("db.system") == "mongodb" for s in in_trace)
    assert sum(len(trace_of(spans, root)) for root in roots) == len(spans)


async def test_resolvers_below_the_root_are_sampled_up_to_a_limit(db, make_settings, gql, customer):
    products = await add_products(db, 6, stock=5)
    placed = await gql(
        PLACE, {"input": {"items": [line(p, 1) for p in products]}}, headers=customer.headers
    )
    order_id = placed["data"]["placeOrder"]["order"]["id"]

    async def product_spans(**sampling: Any) -> list[ReadableSpan]:
        exporter = InMemorySpanExporter()
        async with traced_app(make_settings(**sampling), exporter) as http:
            body = await graphql(http, ORDER_PRODUCTS, {"id": order_id}, headers=customer.headers)
        assert len(body["data"]["order"]["items"]) == 6, body
        spans = exporter.get_finished_spans()
        assert len(resolver_spans(spans, "Query.order")) == 1  # a root field, always
        return resolver_spans(spans, "OrderItem.product")

    assert len(await product_spans(trace_resolver_ratio=1.0, trace_resolver_limit=100)) == 6
    assert len(await product_spans(trace_resolver_ratio=1.0, trace_resolver_limit=4)) == 4
    assert await product_spans(trace_resolver_ratio=0.0) == []


async def test_the_operation_span_says_how_it_ended(db, make_settings, customer):
    [scarce] = await add_products(db, 1, stock=1)
    exporter = InMemorySpanExporter()
    async with traced_app(make_settings(), exporter) as http:
        await graphql(
            http, PLACE, {"input": {"items": [line(scarce, 2)]}}, headers=customer.headers
        )
        await graphql(http, "query Mine { me { email } }", headers={"Authorization": "Bearer x"})
        await graphql(http, "query Broken { products { nope } }")
        # A stored value the schema cannot represent: a bug's error, masked.
        await db.products.update_one({"_id": scarce["_id"]}, {"$set": {"name": ["two"]}})
        masked = await graphql(http, "query Odd { products { edges { node { name } } } }")
    assert masked["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR", masked
    spans = exporter.get_finished_spans()

    refused_order = operation_span(spans, "Place").attributes
    assert refused_order["shopgraph.outcome"] == "user_error"
    assert list(refused_order["shopgraph.error_codes"]) == ["OUT_OF_STOCK"]
    bad_token = operation_span(spans, "Mine").attributes
    assert bad_token["shopgraph.outcome"] == "refused"
    assert list(bad_token["shopgraph.error_codes"]) == ["UNAUTHENTICATED"]
    invalid = operation_span(spans, "Broken")
    assert invalid.name == "query Broken"
    assert invalid.attributes["shopgraph.outcome"] == "refused"
    internal = operation_span(spans, "Odd")
    assert internal.attributes["shopgraph.outcome"] == "internal_error"
    assert internal.status.status_code is StatusCode.ERROR
    for span in trace_of(spans, internal):  # no stored value or message leaks
        assert "two" not in repr(dict(span.attributes or {})) + (span.status.description or "")


async def test_a_command_that_fails_says_why_and_not_with_what(make_settings):
    """Registering a taken email: the users insert meets the unique index."""
    exporter = InMemorySpanExporter()
    taken = {"input": {"email": "taken@shop.test", "password": PASSWORD, "name": "Ada"}}
    async with traced_app(make_settings(), exporter) as http:
        await graphql(http, named(REGISTER, "First"), taken)
        second = await graphql(http, named(REGISTER, "Second"), taken)
    assert second["data"]["register"]["userErrors"], second
    spans = exporter.get_finished_spans()

    def user_inserts(operation: str) -> list[ReadableSpan]:
        return [
            s
            for s in trace_of(spans, operation_span(spans, operation))
            if s.name.startswith("insert ") and s.name.endswith(".users")
        ]

    [first_insert], [second_insert] = user_inserts("First"), user_inserts("Second")
    assert first_insert.status.status_code is StatusCode.UNSET
    assert second_insert.status.status_code is StatusCode.ERROR
    assert second_insert.attributes["db.mongodb.error_code"] == 11000
    assert "taken@shop.test" not in repr(second_insert.status) + repr(second_insert.attributes)


def test_operations_over_a_websocket_each_make_a_trace(db, make_settings, caplog):
    """A query, and a subscription that the client completes, on one socket: each is a
    trace of its own, carrying the socket's request ID, and each span ends."""
    exporter = InMemorySpanExporter()
    settings = make_settings()
    app = create_app(settings, tracing=tracing_to(exporter, settings, batch=False))
    with (
        caplog.at_level(logging.WARNING),
        TestClient(app) as tc,
        tc.websocket_connect(
            "/graphql", subprotocols=[TRANSPORT_WS], headers={"X-Request-ID": REQUEST_ID}
        ) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json(subscribe_message("1", {"query": STOCK_SUBSCRIPTION}, TRANSPORT_WS))
        ws.send_json(subscribe_message("2", {"query": COUNT}, TRANSPORT_WS))
        answer = ws.receive_json()
        assert answer["id"] == "2"
        assert answer["payload"]["data"] == {"products": {"totalCount": 0}}
        assert ws.receive_json() == {"type": "complete", "id": "2"}
        ws.send_json({"type": "complete", "id": "1"})
    spans = exporter.get_finished_spans()

    query, subscription = operation_span(spans, "Count"), operation_span(spans, "Stock")
    assert query.name == "query Count"
    assert subscription.name == "subscription Stock"
    assert query.context.trace_id != subscription.context.trace_id
    for operation in (query, subscription):
        assert operation.attributes["shopgraph.request_id"] == REQUEST_ID
    assert query.attributes["shopgraph.outcome"] == "ok"
    assert subscription.attributes["shopgraph.outcome"] == "cancelled"
    assert any(s.attributes.get("db.system") for s in trace_of(spans, query))
    assert not [r for r in caplog.records if r.name.startswith("opentelemetry")]


async def test_an_app_without_tracing_makes_no_spans(client):
    """Even with OpenTelemetry loaded and a global tracer provider that records, a query
    through the shared app, set up without tracing, records nothing."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # the process's global provider, set once
    assert trace.get_tracer_provider() is provider

    body = await graphql(client, COUNT)

    assert body == {"data": {"products": {"totalCount": 0}}}
    assert exporter.get_finished_spans() == ()


# --- real `shopgraph serve` processes ----------------------------------------------------

# Makes OpenTelemetry look uninstalled to a process started with it on PYTHONPATH, and says
# so whenever something tries to import it.
NOT_INSTALLED = """import sys


class OpenTelemetryNotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            print(f"refused to import {name}", file=sys.stderr, flush=True)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, OpenTelemetryNotInstalled())
"""
MISSING_EXTRA = "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed"


@pytest.fixture
def serve_env(env) -> dict[str, str]:
    """The command tests' environment without any OTEL_* variable of the machine's."""
    return {name: value for name, value in env.items() if not name.startswith("OTEL_")}


@pytest.fixture
def without_opentelemetry(tmp_path) -> dict[str, str]:
    site = tmp_path / "without-opentelemetry"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NOT_INSTALLED)
    return {"PYTHONPATH": str(site)}


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    """An OTLP/HTTP endpoint on this machine: (its URL, the trace exports it received)."""
    received: list[ExportTraceServiceRequest] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/v1/traces":
                received.append(ExportTraceServiceRequest.FromString(body))
            reply = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200 if self.path == "/v1/traces" else 404)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, name="OTLP receiver", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    server = test_cli._serve(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        test_cli._wait_ready(base, server)
        yield base, server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


def count_products(base: str, request_id: str = REQUEST_ID) -> int:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": COUNT}).encode(),
        headers={"Content-Type": "application/json", "X-Request-ID": request_id},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]["products"]["totalCount"]


def stop(server: subprocess.Popen) -> str:
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    return output


def test_serve_without_the_endpoint_imports_no_opentelemetry(serve_env, without_opentelemetry):
    with serving({**serve_env, **without_opentelemetry}) as (base, server):
        assert count_products(base) > 0  # the demo catalog
        output = stop(server)
    assert "refused to import" not in output
    assert MISSING_EXTRA not in output


def test_serve_with_the_endpoint_but_without_the_extra_warns_once(serve_env, without_opentelemetry):
    unused = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    with serving({**serve_env, **without_opentelemetry, **unused}) as (base, server):
        assert count_products(base) > 0
        assert count_products(base) > 0
        output = stop(server)
    warnings = [line for line in output.splitlines() if MISSING_EXTRA in line]
    assert len(warnings) == 1, output
    assert "warning" in warnings[0].lower()
    assert "pip install 'shopgraph[otel]'" in warnings[0]
    assert "refused to import opentelemetry" in output  # the extra really looked missing


def test_serve_sends_its_spans_to_the_otlp_endpoint_of_the_environment(serve_env, otlp_receiver):
    endpoint, received = otlp_receiver
    variables = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "shop-eu-1"}
    with serving({**serve_env, **variables}) as (base, server):
        assert count_products(base) > 0
        stop(server)  # sends the spans still queued

    spans = [
        (resource, span)
        for export in received
        for resource_spans in export.resource_spans
        for resource in [attributes(resource_spans.resource.attributes)]
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    [(resource, operation)] = [(r, s) for r, s in spans if s.name == "query Count"]
    assert resource["service.name"] == "shop-eu-1"  # OTEL_SERVICE_NAME wins over `shopgraph`
    assert attributes(operation.attributes)["shopgraph.request_id"] == REQUEST_ID
    commands = [
        attributes(s.attributes)
        for _, s in spans
        if s.trace_id == operation.trace_id and attributes(s.attributes).get("db.system")
    ]
    assert {"aggregate", "find"} & {c["db.operation"] for c in commands}, commands


def attributes(pairs: Any) -> dict[str, Any]:
    """OTLP key-values as a dict of their string or integer values."""
    return {pair.key: getattr(pair.value, pair.value.WhichOneof("value")) for pair in pairs}


def test_serve_stops_without_waiting_on_a_collector_that_does_not_answer(serve_env):
    """The collector takes the connection and never answers; each export would wait two
    minutes for it. The server still stops at once after its few seconds of flushing."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections wait in the backlog, never accepted
        variables = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{silent.getsockname()[1]}",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "120",
        }
        with serving({**serve_env, **variables}) as (base, server):
            assert count_products(base) > 0  # spans to send
            server.send_signal(signal.SIGTERM)
            output, _ = server.communicate(timeout=25)
    assert server.returncode == 0, output
