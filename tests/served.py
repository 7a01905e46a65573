"""`shopgraph serve` as a child process of a test, on a free port, against the test's
MongoDB; and what its /metrics says."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from shopgraph.server.embedded import free_port

READY_SECONDS = 60.0
STOP_SECONDS = 30.0
# Real argon2id with cheap parameters, as the in-process tests use.
CHEAP_HASHING = {
    "SHOPGRAPH_ARGON2_TIME_COST": "1",
    "SHOPGRAPH_ARGON2_MEMORY_KIB": "1024",
    "SHOPGRAPH_ARGON2_PARALLELISM": "1",
}


def serve_env(mongodb_target: tuple[str, str], data_dir: Path, **extra: str) -> dict[str, str]:
    """The test's environment without SHOPGRAPH_* settings or a metrics directory."""
    uri, name = mongodb_target
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SHOPGRAPH_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    return {
        **base,
        "MONGODB_URI": uri,
        "SHOPGRAPH_DB_NAME": name,
        "SHOPGRAPH_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        **CHEAP_HASHING,
        # As in conftest: a hit is not a GraphQL operation, and a write read at once races
        # the change stream. tests/test_response_cache.py turns it on.
        "SHOPGRAPH_RESPONSE_CACHE_BYTES": "0",
        **extra,
    }


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    output_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def output(self) -> str:
        """Everything it wrote, stdout and stderr together."""
        return self.output_path.read_text(errors="replace")

    def stop(self, signum: int = signal.SIGTERM) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_SECONDS)
        return self.output()


def start(env: dict[str, str], output_path: Path) -> Served:
    """Starts it, writing everything it prints to `output_path`; returns at once."""
    port = free_port()
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "shopgraph", "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Served(process, port, output_path)


async def serve(env: dict[str, str], output_path: Path) -> Served:
    """Starts it and waits until /readyz says MongoDB answers."""
    served = start(env, output_path)
    process = served.process
    deadline = time.monotonic() + READY_SECONDS
    async with httpx.AsyncClient(base_url=served.base_url, timeout=5) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"shopgraph serve exited at start:\n{served.output()}")
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return served
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    served.stop(signal.SIGKILL)
    raise AssertionError(f"shopgraph serve was not ready in {READY_SECONDS:.0f} s")


class Scrape:
    """One answer of /metrics, parsed as Prometheus parses it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def value(self, name: str, **labels: str) -> float | None:
        """The sample with exactly these labels; None when there is none."""
        return self.samples.get((name, frozenset(labels.items())))

    def total(self, name: str, **labels: str) -> float:
        """The sum of the samples whose labels include these."""
        wanted = set(labels.items())
        return sum(
            value
            for (sample, sample_labels), value in self.samples.items()
            if sample == name and wanted <= sample_labels
        )


async def scrape(url: str) -> Scrape:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain"), response.headers
    return Scrape(response.text)
