"""The reference storefront (storefront/, built by `npm run build`) served at `/`.

The built files are served by Starlette's StaticFiles. Vite names every file under
`/assets/` by a hash of its content, so browsers keep those for a year without asking
again; `index.html`, which names the current ones, is revalidated on every visit.

Every other GET of a path that no route took and that has no file is a page of the app
(a client-side route: `/cart`, `/products/MUG-1`, `/orders/...`) and gets `index.html`,
unless it looks like a file: a name with an extension (`/favicon.ico`, `/assets/x.js`) is
404, except on a browser's navigation (it asks for text/html), since an SKU may contain a
dot (`/products/PEN-0.5`). The API's paths never get `index.html`, and under `/assets/`
only files are found. The app installs this as the router's default, so it only sees
what no route matched: a route's own 404 or 405 stays the route's.

`index.html` goes out with a Content-Security-Policy that lets the page load scripts,
styles and connections from its own origin only (see docs/storefront.md).
"""

import logging
import os
import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import anyio.to_thread
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Scope

from shopgraph.server import graphiql
from shopgraph.server.announce import say
from shopgraph.settings import Settings

logger = logging.getLogger("shopgraph.storefront")

INDEX = "index.html"
ASSETS = "assets"
# Paths of the API, whatever routes are on: a page of the store never shadows them.
API_PATHS = ("/graphql", "/media", "/healthz", "/readyz", "/metrics", graphiql.ASSET_PREFIX)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# A Host header fit to be written into the policy: a name or an IPv4 or IPv6 address, a port.
HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

NOT_BUILT_MESSAGE = (
    "the storefront is not built: it needs Node.js and npm (`make run` builds it); "
    "the API and GraphiQL work without it"
)
NOT_BUILT_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Storefront not built</title>
</head>
<body>
<h1>The storefront is not built</h1>
<p>This server shows the reference storefront here once it is built, and building it
needs Node.js and npm: <code>make run</code> builds it when <code>npm</code> is installed
(or run <code>npm ci --prefix storefront</code> and <code>npm --prefix storefront run
build</code>), then reload this page.</p>
<p>The API works without it: <a href="/graphql">/graphql</a> (GraphiQL in a browser).</p>
</body>
</html>
"""


def is_built(settings: Settings) -> bool:
    return (settings.storefront_dir / INDEX).is_file()


def announce_storefront(settings: Settings, host: str, port: int) -> None:
    """The start-up line: where the storefront is, or that it is not built."""
    if not settings.storefront_enabled:
        return
    if is_built(settings):
        say(settings, f"Shopgraph: storefront at http://{host}:{port}/")
    else:
        logger.warning("%s", NOT_BUILT_MESSAGE)


def is_api_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PATHS)


def origin_of(url: str) -> str | None:
    """The origin of an absolute http(s) URL; None for a path (the page's own origin)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def content_security_policy(media_base_url: str, host: str | None) -> str:
    """Scripts, styles, fonts and connections from the page's origin only; images from it,
    `data:` URLs and the media CDN if one is set. The socket's URL is named with the
    request's host as well as by 'self', which covers ws: and wss: only in browsers that
    implement CSP level 3's rule for it."""
    images = ["'self'", "data:"]
    media = origin_of(media_base_url)
    if media:
        images.append(media)
    connect = ["'self'"]
    if host and HOST.fullmatch(host):
        connect += [f"ws://{host}", f"wss://{host}"]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "connect-src": connect,
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class StorefrontFiles(StaticFiles):
    """The built storefront: its files, and `index.html` for the app's pages."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(directory=settings.storefront_dir, check_dir=False)
        self.media_base_url = settings.media_base_url
        self.assets_dir = Path(settings.storefront_dir, ASSETS).resolve()
        self.index_path = Path(settings.storefront_dir, INDEX).resolve()

    async def check_config(self) -> None:
        """The directory may appear after start-up (a build while serving): every request
        looks, and one without a build gets the page that says so."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        route_path = get_route_path(scope)
        if is_api_path(route_path):
            raise HTTPException(status_code=404)
        try:
            return await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404 or not is_page(route_path, Headers(scope=scope)):
                raise
        full_path, stat_result = await anyio.to_thread.run_sync(self.lookup_path, INDEX)
        if stat_result is None:
            # 503: this server is meant to show the store here, and cannot yet. A check
            # that the store is up fails until it is built.
            return HTMLResponse(
                NOT_BUILT_PAGE,
                status_code=503,
                headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
            )
        return self.file_response(full_path, stat_result, scope)

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """As StaticFiles answers, with the headers of the storefront's files (a 304
        keeps their Cache-Control)."""
        response = FileResponse(
            full_path,
            status_code=status_code,
            stat_result=stat_result,
            headers=self.headers_for(Path(full_path), scope),
        )
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response

    def headers_for(self, full_path: Path, scope: Scope) -> dict[str, str]:
        headers = {"X-Content-Type-Options": "nosniff"}
        if full_path == self.index_path:
            host = Headers(scope=scope).get("host")
            headers["Cache-Control"] = REVALIDATE
            headers["Content-Security-Policy"] = content_security_policy(self.media_base_url, host)
            headers["Referrer-Policy"] = "same-origin"
        elif self.assets_dir in full_path.parents:
            headers["Cache-Control"] = IMMUTABLE
        else:  # a file of Vite's public/ folder, under a name that does not change
            headers["Cache-Control"] = REVALIDATE
        return headers


def is_page(route_path: str, headers: Headers) -> bool:
    """A client-side route, not a file that is missing."""
    path = PurePosixPath(route_path)
    if route_path == f"/{ASSETS}" or route_path.startswith(f"/{ASSETS}/"):
        return False
    if not path.suffix:
        return True
    return "text/html" in headers.get("accept", "")
