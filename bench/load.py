"""One load generator for every served row: wrk, a C program on its own core's worth of
time, so what is measured is the server and not the client.

`make bench` installs Debian's `wrk` when it is missing."""

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CONNECTIONS = 16
SECONDS = 8.0
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True, slots=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers, timeouts and socket errors


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is missing: `make bench` installs it (apt-get install wrk)")
    return path


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def drive(
    url: str,
    body: dict[str, object] | None = None,
    *,
    headers: dict[str, str] | None = None,
    seconds: float = SECONDS,
    connections: int = CONNECTIONS,
) -> Load:
    """`connections` clients on one thread, each sending the next request as soon as the
    last is answered: POST `body` as JSON, or GET `url` when `body` is None."""
    lines = []
    if body is not None:
        lines += ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}"]
        headers = {"Content-Type": "application/json"} | (headers or {})
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items()]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "request.lua"
        script.write_text("\n".join(lines) + "\n")
        command = [wrk_path(), "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
        output = subprocess.run(
            [*command, "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    return _parsed(output)


def _parsed(output: str) -> Load:
    def found(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output)
        if match is None:
            raise RuntimeError(f"unexpected wrk output:\n{output}")
        return match

    requests = int(found(r"(\d+) requests in")[1])
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        requests_per_second=float(found(r"Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=_ms(found(r"50%\s+(\S+)")[1]),
        p99_ms=_ms(found(r"99%\s+(\S+)")[1]),
        requests=requests,
        errors=errors + (int(non_2xx[1]) if non_2xx else 0),
    )
