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
from shopgraph.live.broker import StockBroker
from shopgraph.live.feed import StockFeed
from shopgraph.schema.build import QueryLimits, build_schema
from shopgraph.schema.query_cost import CostLimits
from shopgraph.server import graphiql
from shopgraph.server.background import Background
from shopgraph.server.body_limit import BodySizeLimit
from shopgraph.server.graphql_view import REQUEST_ID_HEADER, ShopgraphGraphQL
from shopgraph.server.health import healthz, readyz
from shopgraph.server.session_watch import SessionWatch
from shopgraph.server.tracing import Tracing, tracing_from_environment
from shopgraph.services import Services
from shopgraph.settings import Settings

logger = logging.getLogger("shopgraph.server")

STREAM_START_TIMEOUT = 5.0


def create_app(
    settings: Settings,
    *,
    mongo_listeners: Sequence[CommandListener] = (),
    tracing: Tracing | None = None,
) -> Starlette:
    """`settings.mongodb_uri` must be set: the CLI sets it to the embedded server's.

    Traces go where OTEL_EXPORTER_OTLP_ENDPOINT says (see server.tracing), or to `tracing`.

    Raises MissingSecret in production without a JWT secret, and GatewayNotAllowed for the
    test payment gateway in production unless explicitly allowed.
    """
    if not settings.mongodb_uri:
        raise ValueError("create_app needs settings.mongodb_uri")
    uri = settings.mongodb_uri
    if tracing is None:
        tracing = tracing_from_environment(settings)
    if tracing is not None:
        mongo_listeners = [*mongo_listeners, tracing.command_listener]
    schema = build_schema(
        QueryLimits(settings.max_query_depth, settings.max_aliases, settings.max_tokens),
        CostLimits(settings.max_query_cost, settings.default_page_size, settings.max_page_size),
        introspection=settings.introspection_enabled,
        observers=[tracing.extension] if tracing is not None else [],
    )
    passwords = passwords_from(settings)
    tokens = access_tokens_from(settings)
    gateway = payment_gateway(settings)
    graphql = ShopgraphGraphQL(schema, settings, tokens)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = connect(uri, timeout_ms=settings.mongodb_timeout_ms, listeners=mongo_listeners)
        datasources = Datasources.for_database(client[settings.db_name])
        app.state.datasources = datasources
        app.state.settings = settings
        background = Background()
        app.state.stock_broker = StockBroker(settings.live_buffer_products)
        feed = StockFeed(datasources, app.state.stock_broker)
        background.start(feed.run(), "stock feed", stop=feed.stop)
        watch = SessionWatch(datasources.users, graphql.session_sockets)
        background.start(watch.run(), "session watch", stop=watch.stop)
        try:
            await datasources.ensure_indexes()
            transactions = settings.stock_transactions
            if transactions is None:
                transactions = await datasources.supports_transactions()
            services = Services.build(
                settings, datasources, passwords, tokens, gateway, transactions
            )
            app.state.services = services
            if settings.background_tasks:
                mailer = Mailer(
                    datasources.outbox, mail_transport(settings), settings.mail_max_attempts
                )
                background.every(settings.order_sweep_seconds, services.orders.sweep, "order sweep")
                background.every(settings.mail_poll_seconds, mailer.send_due, "mailer")
            # Subscriptions made right after start-up must not miss changes.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(feed.started.wait(), STREAM_START_TIMEOUT)
            yield
        finally:
            await background.stop()
            await client.close()
            if tracing is not None:
                await asyncio.to_thread(tracing.shutdown)  # sends the spans still queued

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if settings.graphiql_enabled and graphql.serves_graphiql_assets:
        routes.append(
            Mount(graphiql.ASSET_PREFIX, graphiql.asset_files(settings.graphiql_assets_dir))
        )
    middleware = [Middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
                expose_headers=[REQUEST_ID_HEADER],
                max_age=600,
            )
        )
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.serves_graphiql_assets = graphql.serves_graphiql_assets
    return app
