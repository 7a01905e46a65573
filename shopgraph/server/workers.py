"""`shopgraph serve --workers N`: N server processes on one port.

The command's process does what must happen once (it starts the embedded MongoDB when
there is no MONGODB_URI, migrates and seeds), then binds the port and hands it to
uvicorn's supervisor, which starts N worker processes that all accept on it and
restarts one that dies. Each worker builds its own app from the environment, where the
parent has put the MongoDB URI; everything the workers share lives in that MongoDB
(docs/operations/processes.md). On SIGTERM or SIGINT the supervisor passes SIGTERM to every worker,
waits for each to shut down gracefully, and returns.
"""

import logging
import multiprocessing
import os
import signal
import sys
from typing import Any

from starlette.applications import Starlette
from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from shopgraph.server.app import create_app
from shopgraph.server.embedded import die_with_parent
from shopgraph.server.logs import configure_logging
from shopgraph.settings import Settings

WORKER_APP = "shopgraph.server.workers:worker_app"

logger = logging.getLogger("shopgraph.server")


class WorkerFailed(Exception):
    """A worker could not start; the supervisor stopped the others."""


def worker_app() -> Starlette:
    """The app of one worker process (uvicorn calls this factory in each). If it cannot
    be built, the worker exits as one that failed to start, which stops the command:
    the supervisor would otherwise start it again and again."""
    _stop_with_the_command()
    try:
        settings = Settings()
        configure_logging(settings)
        return create_app(settings, handle_signals=True)
    except Exception:
        logger.exception("a server process could not build its app")
        sys.exit(STARTUP_FAILURE)


def _stop_with_the_command() -> None:
    """A command killed outright (SIGKILL) cannot stop its workers, and uvicorn's leave
    them serving; on Linux they get SIGTERM then, and shut down gracefully."""
    command = multiprocessing.parent_process()
    if sys.platform == "linux" and command is not None:
        die_with_parent()
        if os.getppid() != command.pid:  # it died before that took effect
            os.kill(os.getpid(), signal.SIGTERM)


def run_workers(settings: Settings, workers: int, **uvicorn_options: Any) -> None:
    """Serves with `workers` processes until told to stop; `settings.mongodb_uri` is set.
    Raises WorkerFailed when a worker cannot start (its log says why)."""
    assert settings.mongodb_uri
    os.environ["MONGODB_URI"] = settings.mongodb_uri  # inherited by the workers
    config = Config(WORKER_APP, factory=True, workers=workers, **uvicorn_options)
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        raise WorkerFailed("a server process failed to start (see the log above); stopped")
