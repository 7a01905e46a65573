"""What every resolver receives as `info.context`: built per request by the server."""

from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from shopgraph.datasources.client import Datasources
from shopgraph.documents import Document
from shopgraph.live.broker import StockBroker
from shopgraph.resolvers.loaders import Loaders
from shopgraph.resolvers.viewer import Viewer
from shopgraph.services import Services
from shopgraph.settings import Settings


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    request_id: str
    client_address: str  # the peer, or the client a trusted proxy names; throttles count it
    settings: Settings
    datasources: Datasources  # for reads: listings and DataLoaders
    loaders: Loaders
    services: Services  # for every use case that decides or changes something
    viewer: Viewer
    stock_broker: StockBroker
    # Set by Strawberry from a WebSocket's `connection_init` payload.
    connection_params: dict[str, object] | None = None


Info = StrawberryInfo[Context, None]


class HasDocument(Protocol):
    """A schema type that wraps a MongoDB document, as a field resolver's parent."""

    document: Document
