"""The GraphQL endpoint: per-request context, orjson responses, the response's media type
and status (`graphql_over_http`), offline GraphiQL."""

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from bson import ObjectId
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.types import QueryParams
from strawberry.schema import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET, UnsetType

from shopgraph.auth.tokens import AccessTokens
from shopgraph.datasources.client import Datasources
from shopgraph.documents import Document
from shopgraph.resolvers.context import Context
from shopgraph.resolvers.loaders import DocumentKey, Loaders
from shopgraph.resolvers.viewer import Viewer, viewer_from_authorization
from shopgraph.server import graphiql
from shopgraph.server.client_address import ClientAddresses
from shopgraph.server.going_away import OpenSockets
from shopgraph.server.graphql_over_http import (
    GRAPHQL_RESPONSE_JSON,
    request_error_status,
    response_media_type,
)
from shopgraph.server.logs import REQUEST_ID
from shopgraph.server.session_watch import SessionSockets
from shopgraph.server.ws_handlers import (
    LegacyWSHandler,
    ShopgraphWebSocketAdapter,
    TransportWSHandler,
)
from shopgraph.server.ws_limits import WebSocketsPerClient
from shopgraph.settings import Settings

logger = logging.getLogger("shopgraph.server")

REQUEST_ID_HEADER = "X-Request-ID"
# A multipart request must carry one of these (any value): a browser sends a custom header
# only after a CORS preflight, which a plain cross-site form post never makes.
PREFLIGHT_HEADERS = ("Apollo-Require-Preflight", "X-Apollo-Operation-Name")
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_for(request: Request | WebSocket) -> str:
    """The caller's X-Request-ID when it is a sane token (for tracing), else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _CLIENT_REQUEST_ID.match(given) else uuid.uuid4().hex


class ShopgraphGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    websocket_adapter_class = ShopgraphWebSocketAdapter  # type: ignore[assignment]

    def __init__(self, schema: BaseSchema, settings: Settings, tokens: AccessTokens) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            allow_queries_via_get=True,
            allowed_origins=settings.cors_origins,
            keep_alive=True,  # server pings on legacy graphql-ws; graphql-transport-ws clients ping
            keep_alive_interval=settings.ws_keep_alive_seconds,
            connection_init_wait_timeout=timedelta(
                seconds=settings.ws_connection_init_timeout_seconds
            ),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            multipart_uploads_enabled=True,  # image uploads; see parse_multipart
        )
        self.settings = settings
        self.tokens = tokens
        self.client_addresses = ClientAddresses.trusting(settings.trusted_proxies)
        self.session_sockets = SessionSockets()  # closed by the app's SessionWatch
        self.open_sockets = OpenSockets()  # closed with 1001 when the process shuts down
        self.websockets_per_client = WebSocketsPerClient(settings.max_ws_per_client)
        page = super().graphql_ide_html
        self.serves_graphiql_assets = graphiql.local_assets_present(
            page, settings.graphiql_assets_dir
        )
        self._graphiql_page = graphiql.serve_locally(page) if self.serves_graphiql_assets else page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket counts against its client's cap from the handshake until it ends;
        one that opens while the process shuts down is closed at once (1001)."""
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        if self.open_sockets.closing:
            await self.open_sockets.refuse(scope, receive, send)
            return
        address = self.client_addresses.of(HTTPConnection(scope))
        with self.websockets_per_client.slots.hold(address) as admitted:
            if admitted:
                await super().__call__(scope, receive, send)
            else:
                await self.websockets_per_client.refuse(scope, receive, send)

    @property
    def graphql_ide_html(self) -> str:
        return self._graphiql_page

    @property
    def graphiql_assets_dir(self) -> Path:
        return self.settings.graphiql_assets_dir

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        datasources: Datasources = request.app.state.datasources
        request_id = request_id_for(request)
        REQUEST_ID.set(request_id)  # for the logs written while answering
        if isinstance(response, Response):
            response.headers[REQUEST_ID_HEADER] = request_id
        loaders = Loaders(datasources, cache=not isinstance(request, WebSocket))
        # On a WebSocket the token arrives later, in `connection_init` (on_ws_connect).
        authorization = (
            None if isinstance(request, WebSocket) else request.headers.get("authorization")
        )
        return Context(
            request=request,
            response=response,
            request_id=request_id,
            client_address=self.client_addresses.of(request),
            settings=self.settings,
            datasources=datasources,
            loaders=loaders,
            services=request.app.state.services,
            viewer=self.viewer_for(authorization, loaders),
            stock_broker=request.app.state.stock_broker,
        )

    def viewer_for(self, authorization: str | None, loaders: Loaders) -> Viewer:
        async def load_user(user_id: ObjectId) -> Document | None:
            return await loaders.user.load(DocumentKey(user_id, None))

        return viewer_from_authorization(authorization, self.tokens, load_user)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        """A bad token, or one of an ended session, in `connection_init` closes the socket
        with 4403; a good one keeps it open until the token expires or its session ends
        (see ws_handlers)."""
        params = context.connection_params or {}
        if not isinstance(params, dict):
            raise ConnectionRejectionError({"message": "connection_init payload must be an object"})
        authorization = params.get("authorization") or params.get("Authorization")
        if authorization is not None and not isinstance(authorization, str):
            raise ConnectionRejectionError({"message": "authorization must be a string"})
        viewer = self.viewer_for(authorization, context.loaders)
        rejection = await viewer.rejection()
        if rejection:
            raise ConnectionRejectionError({"message": rejection})
        if viewer.claims is not None and viewer.claims.expires_at <= datetime.now(UTC):
            # Within the clock-skew leeway that HTTP allows: a socket would close at once.
            raise ConnectionRejectionError({"message": "The access token has expired; refresh it."})
        context.viewer = viewer
        return UNSET  # acknowledge with no payload

    def parse_json(self, data: str | bytes) -> object:
        """A body must be a JSON object; batches are lists and refused later."""
        parsed = super().parse_json(data)  # a 400 when it is not JSON at all
        if not isinstance(parsed, (dict, list)):
            raise HTTPException(400, "Expected a JSON object.")
        return parsed

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """File uploads (the GraphQL multipart request specification), from pages of other
        sites only after a CORS preflight: an HTML form can post multipart/form-data to any
        site, but cannot add a header. Refused with 400 before the body is read."""
        if not any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
            raise HTTPException(
                400,
                "A multipart request needs an `Apollo-Require-Preflight` (or "
                "`X-Apollo-Operation-Name`) header, so that browsers ask first whether the "
                "page may send it (protection against cross-site request forgery).",
            )
        return await super().parse_multipart(request)

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        """On GET, `variables` and `extensions` are JSON in the query string: a parse error
        names them, not a request body that GET does not have."""
        parsed: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                try:
                    parsed[name] = self.decode_json(parsed[name])
                except orjson.JSONDecodeError as error:
                    raise HTTPException(
                        400, f"Unable to parse `{name}` in the query string as JSON"
                    ) from error
        return parsed

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        """Carries the media type the client's Accept header chose to `create_response`."""
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = response_media_type(request.headers.get("accept"))
        return sub_response

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """A mutation over GET is the wrong method (405), not a bad request.

        Under `application/graphql-response+json` a request error sets the answer's status
        (400, 401 or 403; 500 for a fault of the server's), and an operation that cannot be
        chosen is answered as a GraphQL response with an error, not in plain text."""
        graphql_response = sub_response.media_type == GRAPHQL_RESPONSE_JSON
        try:
            result = await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, error.reason) from error
            if not (graphql_response and isinstance(error.__cause__, CannotGetOperationTypeError)):
                raise
            result = PreExecutionError(data=None, errors=[GraphQLError(error.reason)])
        status = request_error_status(result) if graphql_response else None
        if status is not None:
            sub_response.status_code = status
            if status == 401:
                sub_response.headers["WWW-Authenticate"] = "Bearer"  # RFC 9110 and RFC 6750
        return result

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The chosen media type. An `application/graphql-response+json` answer with a 4xx or
        5xx status, set by a request error, has no `data` entry, as the specification asks.
        The answer depends on the Accept header, so caches are told (`Vary`)."""
        graphql_response = sub_response.media_type == GRAPHQL_RESPONSE_JSON
        refused = (sub_response.status_code or 200) >= 400
        if graphql_response and refused and isinstance(response_data, dict):
            response_data = response_data.copy()
            response_data.pop("data", None)
        response = super().create_response(response_data, sub_response)
        if graphql_response:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
        response.headers.add_vary_header("Accept")
        return response

    def decode_json(self, data: str | bytes) -> object:
        """Every JSON the view reads. orjson refuses nesting past 1024 levels with a decode
        error (a 400, or a 4400 close on WebSocket) where the json module would hit its
        recursion limit; its JSONDecodeError is the json module's, which Strawberry catches."""
        return orjson.loads(data)

    def encode_json(self, data: object) -> str:
        # A str, not bytes: WebSocket messages must go out as text frames.
        return orjson.dumps(data).decode()
