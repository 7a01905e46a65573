"""Probes: /healthz says the process is up, /readyz that MongoDB answers."""

from starlette.requests import Request
from starlette.responses import JSONResponse

from shopgraph.datasources.client import Datasources


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    datasources: Datasources = request.app.state.datasources
    timeout = request.app.state.settings.readiness_timeout_seconds
    if await datasources.is_reachable(timeout):
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "unavailable", "reason": "MongoDB is unreachable"}, 503)
