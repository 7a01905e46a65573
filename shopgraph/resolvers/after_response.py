"""The API's `Defer` (see `auth.after_answer`): work runs once the answer has gone out, so
how long a request takes does not depend on it. Over HTTP it is a Starlette background
task of the response; over a WebSocket, where an operation's answer goes out as soon as
its resolvers return, it is a task of its own."""

import asyncio
import logging

from starlette.background import BackgroundTasks
from starlette.responses import Response

from shopgraph.auth.after_answer import Defer, FollowUp
from shopgraph.resolvers.context import Info

logger = logging.getLogger("shopgraph.server")

# The running WebSocket follow-ups: the event loop keeps only weak references to tasks.
_detached: set[asyncio.Task[None]] = set()


def after_response(info: Info) -> Defer:
    response = info.context.response
    request_id = info.context.request_id

    async def defer(work: FollowUp) -> None:
        if not isinstance(response, Response):
            task = asyncio.create_task(_logged(work, request_id), name="after the answer")
            _detached.add(task)
            task.add_done_callback(_detached.discard)
            return
        tasks = response.background
        if not isinstance(tasks, BackgroundTasks):
            tasks = BackgroundTasks()
            response.background = tasks
        tasks.add_task(_logged, work, request_id)

    return defer


async def _logged(work: FollowUp, request_id: str) -> None:
    """The client already has its answer: a failure can only be logged (and must not stop
    the request's other follow-ups)."""
    try:
        await work()
    except Exception:
        logger.exception("work after the answer to request %s failed", request_id)
