"""Live stock fan-out rows of `make bench` (issue 13, goal 3).

A real `shopgraph serve` on the embedded MongoDB; the sockets come from one client
process (bench/fanout_client.py: bare asyncio protocols on uvloop, no task per socket),
all from 127.0.0.1, so the per-client socket cap is raised for the server. Each socket
subscribes to one product's stock with the same document and variables (a storefront's
product page open in many tabs). One stock change is written through MongoDB per round;
a subscriber's latency runs from the write acknowledged by MongoDB to its `next`
message arriving.

Memory is the server process's resident set (VmRSS) after every socket is open and
subscribed and before any event, less its resident set before the first socket, divided
by the subscriptions added: one-time costs count against the subscribers, so the figure
errs high. One subscription per socket is what a browser tab costs; the second
measurement puts `MANY_PER_SOCKET` subscriptions on each socket.
"""

import json
import pathlib
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from pymongo import MongoClient

from bench.audit_server import AuditServer
from bench.record import Row

SUBSCRIBERS = 10_000
MANY_PER_SOCKET = 20  # SHOPGRAPH_MAX_SUBSCRIPTIONS_PER_CONNECTION's default
MANY_SOCKETS = 500
ROUNDS = 3
GOAL_P99_SECONDS = 1.0
GOAL_KB_PER_SUBSCRIBER = 20.0
SERVER_ENV = {
    "SHOPGRAPH_MAX_WS_PER_CLIENT": str(SUBSCRIBERS + 100),  # every socket is 127.0.0.1
    "SHOPGRAPH_LOG_LEVEL": "WARNING",  # no log line per subscription
    "SHOPGRAPH_BACKGROUND_TASKS": "false",
}
CLIENT_TIMEOUT = 240.0


@dataclass(frozen=True, slots=True)
class Measured:
    subscriptions: int
    latencies: list[float]  # seconds, one per socket and round
    missing: int
    kb_per_subscription: float
    opened_in: float


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def first_product(uri: str) -> str:
    with MongoClient(uri) as client:
        product = client.shopgraph.products.find_one(
            {"active": True, "variantStock": {"$exists": False}}, {"_id": 1}
        )
    assert product is not None, "the demo catalog was not seeded"
    return str(product["_id"])


def measure(server: AuditServer, sockets: int, per_socket: int, deflate: bool) -> Measured:
    assert server.process is not None
    pid = server.process.pid
    command = [
        sys.executable,
        "-m",
        "bench.fanout_client",
        f"--port={server.port}",
        f"--mongodb={server.mongodb_uri}",
        f"--product={first_product(server.mongodb_uri)}",
        f"--sockets={sockets}",
        f"--subscriptions={per_socket}",
        f"--rounds={ROUNDS}",
        *(["--deflate"] if deflate else []),
    ]
    time.sleep(1.0)  # the server settles after start-up
    before = rss_kb(pid)
    client = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=pathlib.Path(__file__).resolve().parent.parent,
    )
    assert client.stdin is not None and client.stdout is not None
    idle: dict[str, float] = {}
    result: dict[str, object] = {}
    after = before
    deadline = time.monotonic() + CLIENT_TIMEOUT
    try:
        for line in client.stdout:
            message = json.loads(line)
            if message.get("state") == "idle":
                time.sleep(0.5)
                after = rss_kb(pid)
                idle = message
                client.stdin.write("go\n")
                client.stdin.flush()
            elif "latencies" in message:
                result = message
                break
            else:
                print(f"fanout client: {message}", file=sys.stderr)
            if time.monotonic() > deadline:
                raise TimeoutError("the fan-out client took too long")
    finally:
        client.kill()
        client.wait()
    if not result:
        raise RuntimeError(f"the fan-out client gave no result:\n{server.log_tail()}")
    subscriptions = sockets * per_socket
    latencies = [float(x) for x in result["latencies"]]  # type: ignore[attr-defined]
    return Measured(
        subscriptions,
        latencies,
        int(result["missing"]),  # type: ignore[call-overload]
        (after - before) / subscriptions,
        float(idle.get("opened_in", 0.0)),
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def serving(work_dir: pathlib.Path, name: str) -> AuditServer:
    server = AuditServer(work_dir / name, dict(SERVER_ENV))
    server.start()
    return server


def rows(work_dir: pathlib.Path) -> list[Row]:
    server = serving(work_dir, "one-per-socket")
    try:
        tabs = measure(server, SUBSCRIBERS, 1, deflate=True)
    finally:
        server.stop()
    server = serving(work_dir, "many-per-socket")
    try:
        many = measure(server, MANY_SOCKETS, MANY_PER_SOCKET, deflate=True)
    finally:
        server.stop()
    label = f"fanout: {tabs.subscriptions:,} subscribers, one stock change"
    delivered = not tabs.missing
    p99 = percentile(tabs.latencies, 0.99) * 1000 if tabs.latencies else float("inf")
    return [
        Row(
            f"{label}: p50",
            statistics.median(tabs.latencies) * 1000 if tabs.latencies else float("inf"),
            "ms",
        ),
        Row(
            f"{label}: p99 (x{ROUNDS} rounds, {tabs.missing} missed)",
            p99,
            "ms",
            goal=f"< {GOAL_P99_SECONDS * 1000:.0f} ms",
            met=delivered and p99 < GOAL_P99_SECONDS * 1000,
        ),
        Row(f"{label}: max", max(tabs.latencies, default=float("inf")) * 1000, "ms"),
        Row(
            "fanout: RSS per idle subscriber (1 per socket)",
            tabs.kb_per_subscription,
            "KB",
            goal=f"<= {GOAL_KB_PER_SUBSCRIBER:.0f} KB",
            met=tabs.kb_per_subscription <= GOAL_KB_PER_SUBSCRIBER,
        ),
        Row(
            f"fanout: RSS per idle subscription ({MANY_PER_SOCKET} per socket)",
            many.kb_per_subscription,
            "KB",
        ),
        Row(
            f"fanout: {many.subscriptions:,} subscriptions on {MANY_SOCKETS} sockets: p99",
            percentile(many.latencies, 0.99) * 1000 if many.latencies else float("inf"),
            "ms",
        ),
    ]


if __name__ == "__main__":
    import tempfile

    from bench.record import table

    print(table(rows(pathlib.Path(tempfile.mkdtemp()))))
