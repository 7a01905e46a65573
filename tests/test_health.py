"""Probes: /healthz says the process is up, /readyz whether MongoDB answers.

The outage tests run an app against a MongoDB of their own, which they stop or freeze.
"""

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shopgraph.server.embedded import EmbeddedMongo

READINESS_TIMEOUT = 1.0
# Time for a probe to answer once MongoDB is gone: its own timeout plus scheduling slack.
PROBE_DEADLINE = READINESS_TIMEOUT + 2.0


@pytest.fixture
def spare_mongo(tmp_path: Path) -> Iterator[EmbeddedMongo]:
    """A MongoDB only this test uses, so that it can go away."""
    embedded = EmbeddedMongo("memory", log_dir=tmp_path)
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


@pytest.fixture
def outage_settings(make_settings, spare_mongo):
    return make_settings(
        mongodb_uri=spare_mongo.uri,
        mongodb_timeout_ms=500,
        readiness_timeout_seconds=READINESS_TIMEOUT,
    )


async def timed_get(http: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    """The response and how long it took; a probe that hangs fails instead of blocking."""
    started = time.monotonic()
    async with asyncio.timeout(3 * PROBE_DEADLINE):
        response = await http.get(path)
    return response, time.monotonic() - started


async def test_healthz_says_ok(client):
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


async def test_readyz_says_ready_when_mongodb_answers(client):
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ready"}


async def test_probes_accept_only_get(client):
    for path in ("/healthz", "/readyz"):
        assert (await client.post(path)).status_code == 405


async def test_readyz_says_503_once_mongodb_is_gone_and_healthz_stays_ok(
    app_with, outage_settings, spare_mongo
):
    async with app_with(outage_settings) as http:
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})

        spare_mongo.stop()

        for _ in range(2):  # with a pooled connection to a dead server, then without any
            response, elapsed = await timed_get(http, "/readyz")
            assert response.status_code == 503
            assert response.json() == {
                "status": "unavailable",
                "reason": "MongoDB is unreachable",
            }
            assert elapsed < PROBE_DEADLINE
        health, elapsed = await timed_get(http, "/healthz")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        assert elapsed < 0.5


async def test_graphql_fails_fast_and_masked_while_mongodb_is_gone(
    app_with, outage_settings, spare_mongo, caplog
):
    host_and_port = spare_mongo.uri.removeprefix("mongodb://").split("/")[0]

    async with app_with(outage_settings) as http:
        spare_mongo.stop()
        started = time.monotonic()
        response = await http.post("/graphql", json={"query": "{ products { totalCount } }"})
        elapsed = time.monotonic() - started

    assert elapsed < PROBE_DEADLINE
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert host_and_port not in response.text
    assert "Timeout" not in response.text
    logged = [
        r for r in caplog.records if r.name == "shopgraph.errors" and request_id in r.getMessage()
    ]
    assert logged and host_and_port in logged[0].getMessage()


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGSTOP/SIGCONT")
async def test_readyz_does_not_hang_on_a_frozen_mongodb_and_recovers(
    app_with, make_settings, spare_mongo
):
    """A MongoDB that keeps its connections open but answers nothing (a stopped process, a
    network partition): the probe gives up after its own timeout, even when the MongoDB
    client would wait much longer, and says ready again once MongoDB is back."""
    settings = make_settings(
        mongodb_uri=spare_mongo.uri,
        mongodb_timeout_ms=30_000,
        readiness_timeout_seconds=READINESS_TIMEOUT,
    )
    pid = int(spare_mongo.pid_file.read_text())

    async with app_with(settings) as http:
        assert (await http.get("/readyz")).status_code == 200

        os.kill(pid, signal.SIGSTOP)
        try:
            response, elapsed = await timed_get(http, "/readyz")
            assert response.status_code == 503
            assert response.json()["status"] == "unavailable"
            assert READINESS_TIMEOUT * 0.5 <= elapsed < PROBE_DEADLINE
            health, elapsed = await timed_get(http, "/healthz")
            assert health.status_code == 200
            assert elapsed < 0.5
        finally:
            os.kill(pid, signal.SIGCONT)

        deadline = time.monotonic() + 15
        while (status := (await timed_get(http, "/readyz"))[0].status_code) != 200:
            assert status == 503
            assert time.monotonic() < deadline, "/readyz did not recover after MongoDB did"
            await asyncio.sleep(0.2)
