"""How a Shopgraph process logs: the command's own process, and each worker it starts."""

import logging

from shopgraph.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Beside others on one output, each worker's lines name it, as uvicorn's own lines do.
WORKER_LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def configure_logging(settings: Settings, *, worker: bool = False) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format=WORKER_LOG_FORMAT if worker else LOG_FORMAT
    )
