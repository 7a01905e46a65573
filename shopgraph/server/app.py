"""The ASGI application: routes, middleware and the lifespan that owns the MongoDB client."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from pymongo.monitoring import CommandListener
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route, WebSocketRoute

from shopgraph.auth.passwords import passwords_from
from shopgraph.auth.secret import access_tokens_from
from shopgraph.checkout.mailer import Mailer
from shopgraph.datasources.client import Datasources, connect
from shopgraph.integrations.mail import mail_transport
from shopgraph.integrations.payments import payment_gateway
from shopgraph.live.feed import StockFeed
from shopgraph.schema.build import QueryLimits, build_schema
from shopgraph.schema.query_cost import CostLimits
from shopgraph.server import graphiql, storefront
from shopgraph.server.background import Background
from shopgraph.server.body_limit import BodySizeLimit
from shopgraph.server.fanout import SharedSubscriptions
from shopgraph.server.graphql_view import (
    PREFLIGHT_HEADERS,
    REQUEST_ID_HEADER,
    ShopgraphGraphQL,
)
from shopgraph.server.health import healthz, readyz
from shopgraph.server.leased_work import LeasedWork
from shopgraph.server.media import media
from shopgraph.server.metrics.exposition import metrics_endpoint
from shopgraph.server.metrics.labels import BoundedLabels
from shopgraph.server.metrics.mongodb import CommandTimings
from shopgraph.server.metrics.operations import OperationObserver
from shopgraph.server.metrics.requests import RequestMetrics
from shopgraph.server.metrics.store import (
    CountedOrders,
    MeteredMailTransport,
    MeteredStockBroker,
    StoreGauges,
)
from shopgraph.server.process_header import ProcessHeader
from shopgraph.server.response_cache import AnswerStore, ResponseCaching
from shopgraph.server.session_watch import SessionWatch
from shopgraph.server.shutdown_signals import ShutdownSignals
from shopgraph.server.tracing import Tracing, tracing_from_environment
from shopgraph.services import Services
from shopgraph.settings import Settings

logger = logging.getLogger("shopgraph.server")

STREAM_START_TIMEOUT = 5.0
MIN_STOP_SECONDS = 1.0  # for background passes under way, even past the deadline


def create_app(
    settings: Settings,
    *,
    mongo_listeners: Sequence[CommandListener] = (),
    handle_signals: bool = False,
    tracing: Tracing | None = None,
) -> Starlette:
    """`settings.mongodb_uri` must be set: the CLI sets it to the embedded server's.

    `handle_signals` (for `shopgraph serve`): on SIGTERM or SIGINT, close the WebSockets
    with 1001 and wind background work down before uvicorn shuts down (shutdown_signals).
    Traces go where OTEL_EXPORTER_OTLP_ENDPOINT says (see server.tracing), or to `tracing`.

    Raises MissingSecret in production without a JWT secret, and GatewayNotAllowed for the
    test payment gateway in production unless explicitly allowed.
    """
    if not settings.mongodb_uri:
        raise ValueError("create_app needs settings.mongodb_uri")
    uri = settings.mongodb_uri
    operation_names = BoundedLabels(settings.metrics_max_operations)
    if tracing is None:
        tracing = tracing_from_environment(settings)
    if tracing is not None:
        mongo_listeners = [*mongo_listeners, tracing.command_listener]
    schema = build_schema(
        QueryLimits(settings.max_query_depth, settings.max_aliases, settings.max_tokens),
        CostLimits.of(settings),
        introspection=settings.introspection_enabled,
        plans=settings.execution_plans,
        # Tracing first, so an operation's span covers the metrics' observer too.
        observers=[
            *([tracing.extension] if tracing is not None else []),
            lambda: OperationObserver(operation_names),
        ],
    )
    passwords = passwords_from(settings)
    tokens = access_tokens_from(settings)
    gateway = payment_gateway(settings)
    graphql = ShopgraphGraphQL(schema, settings, tokens)
    answers = AnswerStore(settings.response_cache_bytes, settings.response_cache_entry_bytes)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        listeners = [CommandTimings(), *mongo_listeners]
        client = connect(uri, timeout_ms=settings.mongodb_timeout_ms, listeners=listeners)
        datasources = Datasources.for_database(client[settings.db_name])
        app.state.datasources = datasources
        app.state.settings = settings
        background = Background()
        sweep: LeasedWork | None = None

        async def before_shutdown() -> None:
            background.wind_down()
            await graphql.open_sockets.close_all()

        signals = ShutdownSignals(before_shutdown) if handle_signals else None
        app.state.stock_broker = MeteredStockBroker(settings.live_buffer_products)
        app.state.shared_subscriptions = SharedSubscriptions(app.state.stock_broker)
        feed = StockFeed(datasources, app.state.stock_broker)
        feed.product_writes.append(answers)  # empties it, and keeps it off while not streaming
        background.start(feed.run(), "stock feed", stop=feed.stop)
        watch = SessionWatch(datasources.users, graphql.session_sockets)
        background.start(watch.run(), "session watch", stop=watch.stop)
        try:
            if signals is not None:
                signals.install()
            await datasources.ensure_indexes()
            transactions = settings.stock_transactions
            if transactions is None:
                transactions = await datasources.supports_transactions()
            services = Services.build(
                settings, datasources, passwords, tokens, gateway, transactions, CountedOrders()
            )
            app.state.services = services
            gauges = StoreGauges(datasources, settings.readiness_timeout_seconds)
            app.state.store_gauges = gauges
            if settings.metrics_port is not None:  # the public /metrics reads them itself
                background.every(settings.metrics_refresh_seconds, gauges.refresh, "metrics")
            if settings.background_tasks:
                sweep = _start_periodic_work(background, settings, datasources, services)
            # Subscriptions made right after start-up must not miss changes.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(feed.started.wait(), STREAM_START_TIMEOUT)
            yield
        finally:
            if signals is not None:
                signals.uninstall()
            # Passes under way share the deadline that in-flight requests had.
            since = (signals.seconds_since() if signals else None) or 0.0
            await background.stop(max(settings.shutdown_seconds - since, MIN_STOP_SECONDS))
            if sweep is not None:
                await sweep.release()
            await client.close()
            if tracing is not None:
                await asyncio.to_thread(tracing.shutdown)  # sends the spans still queued

    routes = [
        Route(
            "/graphql",
            ResponseCaching(graphql, answers, settings.response_cache_max_age_seconds),
            methods=["GET", "POST"],
        ),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/media/{image_id}/{name}", media, methods=["GET", "HEAD"]),
    ]
    if settings.metrics_on_public_port:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    if settings.graphiql_enabled and graphql.serves_graphiql_assets:
        routes.append(
            Mount(graphiql.ASSET_PREFIX, graphiql.asset_files(settings.graphiql_assets_dir))
        )
    middleware = [
        Middleware(RequestMetrics),
        Middleware(ProcessHeader),
        Middleware(
            BodySizeLimit,
            max_bytes=settings.max_body_bytes,
            multipart_max_bytes=settings.max_upload_body_bytes,
        ),
    ]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    REQUEST_ID_HEADER,
                    *PREFLIGHT_HEADERS,
                ],
                expose_headers=[REQUEST_ID_HEADER],
                max_age=600,
            )
        )
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    if settings.storefront_enabled:
        # The router's default: it sees only what no route matched, never the API's.
        app.router.default = storefront.StorefrontFiles(settings)
    app.state.serves_graphiql_assets = graphql.serves_graphiql_assets
    app.state.response_cache = answers
    return app


def _start_periodic_work(
    background: Background, settings: Settings, datasources: Datasources, services: Services
) -> LeasedWork:
    """The mailer, in every process, and the order sweep, in one process at a time: the
    one holding its lease, returned to be given up at shutdown."""
    transport = MeteredMailTransport(mail_transport(settings))
    mailer = Mailer(datasources.outbox, transport, settings.mail_max_attempts)
    sweep = LeasedWork(
        datasources.leases, "order-sweep", settings.sweep_lease_seconds, services.orders.sweep
    )
    background.every(settings.order_sweep_seconds, sweep, "order sweep")
    background.every(settings.mail_poll_seconds, mailer.send_due, "mailer", stop=mailer.stop)
    return sweep
