"""The ASGI application: routes, middleware and the lifespan that owns the MongoDB client."""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from pymongo.monitoring import CommandListener
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route, WebSocketRoute

from shopgraph.auth.services import AuthServices
from shopgraph.datasources.client import Datasources, connect
from shopgraph.schema import QueryLimits, build_schema
from shopgraph.server import graphiql
from shopgraph.server.body_limit import BodySizeLimit
from shopgraph.server.graphql_view import REQUEST_ID_HEADER, ShopgraphGraphQL
from shopgraph.server.health import healthz, readyz
from shopgraph.server.settings import Settings

logger = logging.getLogger("shopgraph.server")


def create_app(settings: Settings, *, mongo_listeners: Sequence[CommandListener] = ()) -> Starlette:
    """`settings.mongodb_uri` must be set: the CLI sets it to the embedded server's.

    Raises MissingSecret in production without a JWT secret.
    """
    if not settings.mongodb_uri:
        raise ValueError("create_app needs settings.mongodb_uri")
    uri = settings.mongodb_uri
    schema = build_schema(
        QueryLimits(settings.max_query_depth, settings.max_aliases, settings.max_tokens)
    )
    graphql = ShopgraphGraphQL(schema, settings, AuthServices.from_settings(settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = connect(uri, timeout_ms=settings.mongodb_timeout_ms, listeners=mongo_listeners)
        datasources = Datasources.for_database(client[settings.db_name])
        app.state.datasources = datasources
        app.state.settings = settings
        try:
            await datasources.ensure_indexes()
            yield
        finally:
            await client.close()

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
