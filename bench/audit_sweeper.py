"""A second (and third) server process for the audit, reduced to its order sweep.

`python -m bench.audit_sweeper` builds the app from the environment (MONGODB_URI set by
the audit), prints `ready`, then runs one sweep each time it reads `sweep` on stdin and
prints `swept`. Several of these, told to sweep at the same moment, are several
processes of one deployment recovering the same interrupted work.
"""

import asyncio
import sys

from asgi_lifespan import LifespanManager

from shopgraph.server.app import create_app
from shopgraph.settings import Settings


async def main() -> None:
    settings = Settings(_env_file=None, background_tasks=False)  # type: ignore[call-arg]
    app = create_app(settings)
    async with LifespanManager(app):
        print("ready", flush=True)
        while (await asyncio.to_thread(sys.stdin.readline)).strip() == "sweep":
            await app.state.services.orders.sweep()
            print("swept", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
