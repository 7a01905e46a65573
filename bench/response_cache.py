"""The response cache's row of `make bench`: the storefront page answered from the cache
of a real `shopgraph serve`, against the raw handler answering it from MongoDB, both
driven by wrk in the same run, alternately."""

import pathlib
import statistics

import httpx

from bench.audit_server import AuditServer
from bench.load import drive
from bench.raw_handler import serving_raw
from bench.record import Row, ratio_row

# The storefront page, the raw handler's query.
PAGE = {
    "query": "{ products(first: 20) { edges { node { id name price { amount currency } "
    "stock } } } }"
}
GOAL = 5.0
ROUNDS = 3
SECONDS = 5.0
ENVIRONMENT = {
    "SHOPGRAPH_LOG_LEVEL": "WARNING",
    "SHOPGRAPH_ORDER_SWEEP_SECONDS": "3600",
    "SHOPGRAPH_RESPONSE_CACHE_BYTES": str(32 * 1024 * 1024),
}


def rows(work_dir: pathlib.Path) -> list[Row]:
    server = AuditServer(work_dir, dict(ENVIRONMENT))
    server.start()
    try:
        url = f"{server.base_url}/graphql"
        first = httpx.post(url, json=PAGE, timeout=10)
        body = first.json()
        assert "errors" not in body and len(body["data"]["products"]["edges"]) == 20, body
        with serving_raw(server.env()) as raw_url:
            raw, hit = [], []
            for _ in range(ROUNDS):  # alternate: the machine is shared
                raw.append(drive(raw_url, PAGE, seconds=SECONDS).requests_per_second)
                answer = httpx.post(url, json=PAGE, timeout=10)
                assert answer.content == first.content, "the page changed: not a cache hit"
                hit.append(drive(url, PAGE, seconds=SECONDS).requests_per_second)
    finally:
        server.stop()
    return [
        ratio_row(
            "http: storefront page, response cache hit",
            statistics.median(hit),
            "req/s",
            statistics.median(raw),
            "raw handler",
            f">= {GOAL:g} x raw",
            lambda ratio: ratio >= GOAL,
        )
    ]
