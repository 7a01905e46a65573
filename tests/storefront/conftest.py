"""The `storefront` fixture: one `shopgraph serve` for all the browser tests (docs/storefront.md).

It runs on an embedded MongoDB of its own (the suite's is emptied before every test), in
development, so it seeds the demo catalog and the demo accounts, and it serves the
storefront built by `make install`. Its mailer writes to `storefront.outbox` every 0.2 s.
"""

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from shopgraph.server.embedded import EmbeddedMongo
from tests.served import serve, serve_env
from tests.storefront.harness import Storefront, check_installed, demo_logins, missing_browser

DB_NAME = "shopgraph"


@pytest.fixture(scope="package")
async def storefront(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Storefront]:
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    check_installed()
    data_dir = tmp_path_factory.mktemp("storefront")
    started = time.monotonic()
    with EmbeddedMongo("memory", log_dir=data_dir / "mongodb") as mongo:
        env = serve_env((mongo.uri, DB_NAME), data_dir, SHOPGRAPH_MAIL_POLL_SECONDS="0.2")
        served = await serve(env, data_dir / "serve.log")
        client: AsyncMongoClient[Any] = AsyncMongoClient(mongo.uri, tz_aware=True)
        store = Storefront(served, client[DB_NAME], data_dir, demo_logins(served.output()))
        print(f"storefront served at {store.base_url} in {time.monotonic() - started:.1f} s")
        try:
            assert set(store.logins) == {"admin", "customer"}, served.output()
            yield store
        finally:
            await client.close()
            served.stop()
            for run in store.runs:
                print(f"scenario {run.name}: {run.seconds:.1f} s")
