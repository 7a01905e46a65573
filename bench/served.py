"""Goal rows measured on a real `shopgraph serve` against the raw handler (bench/raw_handler.py)
on the same embedded database, both driven by wrk, in alternating runs so that both see
the same machine. The server is started with its response cache off: these rows measure
execution, not the cache."""

import statistics
from pathlib import Path

import httpx

from bench.audit_server import AuditServer
from bench.load import drive
from bench.raw_handler import PRODUCT_PAGE, VARIANT_PAGE, serving_raw
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


def _compared(label: str, server_url: str, raw_url: str, body: dict[str, object]) -> Row:
    """Both answer the same bytes' worth of data; then alternate runs, median of each."""
    served, raw = _answer(server_url, body), _answer(raw_url, body)
    if served != raw:
        raise AssertionError(
            f"{label}: the raw handler answers differently: {_difference(served, raw)}"
        )
    served_rates, raw_rates = [], []
    for round_ in range(ROUNDS):
        runs = [(server_url, served_rates), (raw_url, raw_rates)]
        for url, rates in runs if round_ % 2 == 0 else reversed(runs):
            load = drive(url, body, seconds=SECONDS)
            if load.errors:
                raise AssertionError(f"{label}: {load.errors} failed requests at {url}")
            rates.append(load.requests_per_second)
    return ratio_row(
        label,
        statistics.median(served_rates),
        "req/s",
        statistics.median(raw_rates),
        "raw handler",
        f">= {GOAL} x raw",
        lambda ratio: ratio >= GOAL,
    )


def rows(work_dir: Path) -> list[Row]:
    server = AuditServer(work_dir / "served", dict(ENVIRONMENT))
    server.start()
    try:
        with serving_raw(server.env()) as raw_url:
            graphql = f"{server.base_url}/graphql"
            # From the second product on: the page holds the demo's shirts in 12 variants.
            first = _answer(graphql, {"query": VARIANT_PAGE, "variables": {"after": None}})
            after = first["data"]["products"]["edges"][0]["cursor"]  # type: ignore[index]
            return [
                _compared(
                    "uncached: product page, 20 products", graphql, raw_url, {"query": PRODUCT_PAGE}
                ),
                _compared(
                    "uncached: product page with variants and cursors",
                    graphql,
                    raw_url.replace("/graphql", "/variant-page"),
                    {"query": VARIANT_PAGE, "variables": {"after": after}},
                ),
            ]
    finally:
        server.stop()
