"""The audited server: a real `shopgraph serve` child process on a free port.

The audit starts the embedded MongoDB itself and hands its URI to the server, so that the
`shopgraph` CLI and the audit's sweeping processes reach the same data while the server
runs (a second `serve` or CLI on the same data directory would start its own embedded
database instead). Children run in a scratch directory, so no `.env` of the checkout
changes what is audited.
"""

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shopgraph.server.embedded import EmbeddedMongo, free_port

READY_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0
CLI_TIMEOUT = 60.0
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONPATH")


@dataclass(frozen=True, slots=True)
class CommandResult:
    returncode: int
    output: str  # stdout then stderr
    ms: float


@dataclass
class AuditServer:
    """`environment` is added to a clean environment (only PATH and the like pass through
    from the caller's), for the server and for every CLI run."""

    work_dir: Path
    environment: dict[str, str]
    port: int = 0
    mongo: EmbeddedMongo | None = None
    process: subprocess.Popen[bytes] | None = None
    stdout_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = self.work_dir / "serve.out"

    @property
    def data_dir(self) -> Path:
        return self.work_dir / "data"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def mongodb_uri(self) -> str:
        assert self.mongo is not None
        return self.mongo.uri

    def env(self, **extra: str) -> dict[str, str]:
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        env |= {
            "MONGODB_URI": self.mongodb_uri,
            "SHOPGRAPH_DATA_DIR": str(self.data_dir),
            "PYTHONUNBUFFERED": "1",
        }
        return env | self.environment | extra

    def start_database(self) -> None:
        self.mongo = EmbeddedMongo(self.data_dir / "mongodb.sqlite", log_dir=self.data_dir)
        self.mongo.start()

    def start(self) -> None:
        """Starts `shopgraph serve` and waits until /readyz says MongoDB answers."""
        if self.mongo is None:
            self.start_database()
        self.port = free_port()
        with self.stdout_path.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shopgraph", "serve", "--port", str(self.port)],
                cwd=self.work_dir,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"shopgraph serve exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"shopgraph serve was not ready in {READY_TIMEOUT:.0f} s")

    def log(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def demo_accounts(self) -> list[tuple[str, str, str]]:
        """(role, email, password) of the demo accounts `serve` announced, if any."""
        return re.findall(r"demo (\w+): (\S+) / (\S+)", self.log())

    def cli(self, *args: str, **extra_env: str) -> CommandResult:
        """Runs the `shopgraph` command against the same database."""
        start = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "shopgraph", *args],
            cwd=self.work_dir,
            env=self.env(**extra_env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        ms = (time.perf_counter() - start) * 1000
        output = (completed.stdout + completed.stderr).decode(errors="replace").strip()
        return CommandResult(completed.returncode, output, ms)

    def stop(self) -> None:
        """SIGTERM, as Ctrl-C or an orchestrator would; then the database."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.mongo is not None:
            self.mongo.stop()
            self.mongo = None
