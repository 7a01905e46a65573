"""Goal rows measured on a real `shopgraph serve` against the raw handler (bench/raw_handler.py)
on the same embedded database, both driven by wrk, in alternating runs so that both see
the same machine. The server is started with its response cache off: these rows measure
execution, not the cache."""

import os
import statistics
from pathlib import Path

import httpx

from bench.audit_server import AuditServer
from bench.load import drive
from bench.raw_handler import PRODUCT_PAGE, VARIANT_PAGE, raw_process
from bench.record import Row, ratio_row

ROUNDS = 3
SECONDS = 5.0
GOAL = 0.9  # of the raw handler's requests per second
ENVIRONMENT = {
    "SHOPGRAPH_LOG_LEVEL": "WARNING",
    "SHOPGRAPH_ORDER_SWEEP_SECONDS": "3600",
    "SHOPGRAPH_RESPONSE_CACHE_BYTES": "0",
}


def _answer(url: str, body: dict[str, object]) -> dict[str, object]:
    response = httpx.post(url, json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def _difference(served: object, raw: object, path: str = "") -> str:
    """Where two answers first differ, for the message."""
    if isinstance(served, dict) and isinstance(raw, dict):
        for key in served.keys() | raw.keys():
            if served.get(key) != raw.get(key):
                return _difference(served.get(key), raw.get(key), f"{path}.{key}")
    if isinstance(served, list) and isinstance(raw, list) and len(served) == len(raw):
        for index, (one, other) in enumerate(zip(served, raw, strict=True)):
            if one != other:
                return _difference(one, other, f"{path}[{index}]")
    return f"{path}: {served!r} != {raw!r}"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _compared(
    label: str, server: tuple[str, int], raw: tuple[str, int], body: dict[str, object]
) -> list[Row]:
    """Both answer the same data; then alternating runs, the median rate of each, and
    the CPU each process spent per request (steadier than rates on a shared machine)."""
    (server_url, server_pid), (raw_url, raw_pid) = server, raw
    served, raw = _answer(server_url, body), _answer(raw_url, body)
    if served != raw:
        raise AssertionError(
            f"{label}: the raw handler answers differently: {_difference(served, raw)}"
        )
    rates: dict[str, list[float]] = {server_url: [], raw_url: []}
    cpu_ms: dict[str, list[float]] = {server_url: [], raw_url: []}
    for round_ in range(ROUNDS):
        runs = [(server_url, server_pid), (raw_url, raw_pid)]
        for url, pid in runs if round_ % 2 == 0 else reversed(runs):
            before = cpu_seconds(pid)
            load = drive(url, body, seconds=SECONDS)
            if load.errors:
                raise AssertionError(f"{label}: {load.errors} failed requests at {url}")
            rates[url].append(load.requests_per_second)
            cpu_ms[url].append((cpu_seconds(pid) - before) * 1000 / load.requests)
    return [
        ratio_row(
            label,
            statistics.median(rates[server_url]),
            "req/s",
            statistics.median(rates[raw_url]),
            "raw handler",
            f">= {GOAL} x raw",
            lambda ratio: ratio >= GOAL,
        ),
        Row(
            f"{label}: CPU per request",
            statistics.median(cpu_ms[server_url]),
            "ms",
            statistics.median(cpu_ms[raw_url]),
            "raw handler",
        ),
    ]


def rows(work_dir: Path) -> list[Row]:
    server = AuditServer(work_dir / "served", dict(ENVIRONMENT))
    server.start()
    try:
        assert server.process is not None
        with raw_process(server.env()) as (raw_url, raw_pid):
            graphql = f"{server.base_url}/graphql"
            ours, raw = (graphql, server.process.pid), (raw_url, raw_pid)
            # From the second product on: the page holds the demo's shirts in 12 variants.
            first = _answer(graphql, {"query": VARIANT_PAGE, "variables": {"after": None}})
            after = first["data"]["products"]["edges"][0]["cursor"]  # type: ignore[index]
            variant_page = (raw_url.replace("/graphql", "/variant-page"), raw_pid)
            return [
                *_compared("uncached: product page", ours, raw, {"query": PRODUCT_PAGE}),
                *_compared(
                    "uncached: page with variants and cursors",
                    ours,
                    variant_page,
                    {"query": VARIANT_PAGE, "variables": {"after": after}},
                ),
            ]
    finally:
        server.stop()
