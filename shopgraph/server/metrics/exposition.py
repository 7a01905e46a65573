"""Answering a scrape: where, and with which processes' numbers.

In development /metrics is a route of the app, beside /graphql. In production it is
never on the public port: with SHOPGRAPH_METRICS_PORT set, a listener of its own on
SHOPGRAPH_METRICS_HOST serves it (in development too), run by the `shopgraph serve`
process itself, which with several workers is the one that started them.

Several processes share their numbers through PROMETHEUS_MULTIPROC_DIR (prometheus-client's
multiprocess mode): given in the environment, or made by `serving_metrics` for workers.
Whoever answers reads every process's files, so any worker, or the parent, answers for
all. A process killed outright cannot take its open sockets off the gauges itself:
before each collection, the files of live gauges whose process is gone are removed.
"""

import asyncio
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.requests import Request
from starlette.responses import Response

from shopgraph.settings import Settings

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
PATH = "/metrics"

logger = logging.getLogger("shopgraph.metrics")


class MetricsPortUnavailable(Exception):
    """The metrics port cannot be listened on (taken, or not this host's)."""


def _gone(pid: int) -> bool:
    """No such process, or a zombie that its parent has not reaped yet."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def forget_gone_processes(path: Path) -> None:
    for file in path.glob("gauge_live*_*.db"):
        pid = file.stem.rpartition("_")[2]
        if pid.isdigit() and _gone(int(pid)):
            mark_process_dead(int(pid), str(path))


class LiveProcessesCollector(MultiProcessCollector):
    def __init__(self, registry: CollectorRegistry, path: Path) -> None:
        super().__init__(registry, str(path))
        self.path = path

    def collect(self) -> Iterable[Metric]:
        forget_gone_processes(self.path)
        return super().collect()


def registry() -> CollectorRegistry:
    """Every process's numbers in the multiprocess mode, else this process's."""
    path = os.environ.get(MULTIPROC_DIR)
    if not path:
        return REGISTRY
    shared = CollectorRegistry()
    LiveProcessesCollector(shared, Path(path))
    return shared


def exposition(accept: str) -> tuple[bytes, str]:
    """The body and its content type: Prometheus's text format, or OpenMetrics when the
    scraper's Accept header asks for it."""
    encode, content_type = choose_encoder(accept)
    return encode(registry()), content_type


async def metrics_endpoint(request: Request) -> Response:
    """The public port's /metrics, in development."""
    await request.app.state.store_gauges.refresh_for_scrape()
    accept = request.headers.get("accept", "")
    body, content_type = await asyncio.to_thread(exposition, accept)  # reads files
    return Response(body, headers={"Content-Type": content_type})


def metrics_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The metrics port: /metrics, and nothing else."""
    if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not Found\n"]
    body, content_type = exposition(environ.get("HTTP_ACCEPT", ""))
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body] if environ["REQUEST_METHOD"] == "GET" else []


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged: wsgiref would print each as text to stderr."""


@contextmanager
def metrics_port(settings: Settings) -> Iterator[None]:
    """Serves the metrics port in a thread while the block runs; nothing without one.
    Raises OSError when the port cannot be bound."""
    if settings.metrics_port is None:
        yield
        return
    try:
        server = make_server(
            settings.metrics_host,
            settings.metrics_port,
            metrics_app,
            server_class=_Server,
            handler_class=_QuietHandler,
        )
    except OSError as error:
        raise MetricsPortUnavailable(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port} "
            f"({error.strerror or error}); set SHOPGRAPH_METRICS_PORT to a free port"
        ) from error
    thread = threading.Thread(target=server.serve_forever, name="metrics port", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def shared_directory(workers: int) -> Iterator[Path | None]:
    """PROMETHEUS_MULTIPROC_DIR as the environment gives it, or for
    several workers a new one, in the environment they inherit, removed afterwards. It
    must be set before the processes that count import prometheus-client."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:  # made by `instruments` if missing
        yield Path(given)
        return
    if workers <= 1:
        yield None
        return
    made = tempfile.mkdtemp(prefix="shopgraph-metrics-")
    os.environ[MULTIPROC_DIR] = made
    try:
        yield Path(made)
    finally:
        os.environ.pop(MULTIPROC_DIR, None)
        shutil.rmtree(made, ignore_errors=True)


def announce_metrics(settings: Settings, host: str, port: int) -> None:
    if settings.metrics_port is not None:
        where = f"http://{settings.metrics_host}:{settings.metrics_port}{PATH}"
        logger.info("metrics at %s, a port of their own", where)
    elif settings.metrics_on_public_port:
        logger.info("metrics at http://%s:%d%s (development)", host, port, PATH)
    else:
        logger.info(
            "metrics are off: set SHOPGRAPH_METRICS_PORT to serve them on a port of their own"
        )


@contextmanager
def serving_metrics(settings: Settings, workers: int = 1) -> Iterator[None]:
    """For `shopgraph serve`, around running its worker(s)."""
    with shared_directory(workers), metrics_port(settings):
        yield
