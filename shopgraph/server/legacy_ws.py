"""The legacy `graphql-ws` protocol, with the `connection_init` deadline that Strawberry
applies only to `graphql-transport-ws`: an idle, unauthenticated socket is closed."""

import asyncio
import contextlib

from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from shopgraph.resolvers.context import Context

INIT_TIMEOUT_CODE = 4408  # the code graphql-transport-ws uses for the same thing


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle(self) -> None:
        deadline = asyncio.create_task(self._close_unless_initialised())
        try:
            await super().handle()
        finally:
            deadline.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await deadline

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.context.settings.ws_connection_init_timeout_seconds)
        if not self.connection_acknowledged:
            await self.websocket.close(
                code=INIT_TIMEOUT_CODE, reason="Connection initialisation timeout"
            )
