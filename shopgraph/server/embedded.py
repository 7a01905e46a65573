"""The embedded MongoDB (nx-27017) as a child process: zero set-up for development and tests."""

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from pymongo import MongoClient
from pymongo.errors import PyMongoError

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Linux: this process gets SIGTERM when its parent dies, even killed outright (the
    embedded server, and `serve --workers N`'s workers)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedMongoError(RuntimeError):
    """The embedded server could not start; the message says what to do."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class EmbeddedMongo:
    """Starts nx-27017 on a free loopback port and stops it on exit.

    The child runs in its own session so a Ctrl-C in the terminal reaches only the
    server, which then stops the database after the last request has finished.
    `db_path` may be `memory` for a throwaway database.
    """

    def __init__(self, db_path: Path | str, log_dir: Path, host: str = "127.0.0.1") -> None:
        self.db_path = db_path
        self.log_dir = log_dir
        self.host = host
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    @property
    def output_file(self) -> Path:
        return self.log_dir / "mongodb.out"

    @property
    def pid_file(self) -> Path:
        return self.log_dir / "mongodb.pid"

    def start(self, timeout: float = 20.0) -> str:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._stop_leftover()
        self.port = free_port(self.host)
        command = [
            sys.executable, "-m", "nx_27017.nx_27017",
            "--db", str(self.db_path),
            "--host", self.host,
            "-p", str(self.port),
            "--log-file", str(self.log_dir / "mongodb.log"),
            "--pid-file", str(self.log_dir / "nx-27017.pid"),
        ]  # fmt: skip
        try:
            with self.output_file.open("wb") as output:
                self._process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=output,
                    start_new_session=True,
                    preexec_fn=die_with_parent if sys.platform == "linux" else None,
                )
        except OSError as error:
            raise EmbeddedMongoError(
                f"cannot start the embedded MongoDB ({error}); reinstall with `make install`"
            ) from error
        self.pid_file.write_text(str(self._process.pid))
        self._wait_until_ready(timeout)
        return self.uri

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                output = self.output_file.read_text(errors="replace").strip().splitlines()
                raise EmbeddedMongoError(
                    f"the embedded MongoDB exited at start ({(output or ['no output'])[-1]}); "
                    f"see {self.output_file}, or set MONGODB_URI to use another MongoDB"
                )
            if self._answers_ping():
                return
            time.sleep(0.1)
        self.stop()
        raise EmbeddedMongoError(
            f"the embedded MongoDB did not answer within {timeout:.0f}s; "
            f"see {self.output_file}, or set MONGODB_URI to use another MongoDB"
        )

    def _answers_ping(self) -> bool:
        client: MongoClient[dict[str, object]] = MongoClient(
            self.uri, serverSelectionTimeoutMS=300, connectTimeoutMS=300
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True

    def _stop_leftover(self) -> None:
        """Stop an embedded server left behind by a process that was killed outright."""
        with contextlib.suppress(OSError, ValueError):
            pid = int(self.pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"nx_27017" in cmdline and str(self.db_path).encode() in cmdline:
                os.kill(pid, signal.SIGTERM)
                time.sleep(0.5)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(FileNotFoundError):
            self.pid_file.unlink()

    def __enter__(self) -> "EmbeddedMongo":
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
