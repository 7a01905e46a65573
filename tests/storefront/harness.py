"""The browser tests' harness: a real `shopgraph serve` of the built storefront, on an
embedded MongoDB of its own, and scenarios in storefront/e2e/ run by Node.js with
playwright-core driving Debian's Chromium.

Each test runs one scenario (`await storefront.run("smoke")`), which must exit 0, then
checks what the shopper's actions left in the database and the outbox. The scenarios
share the server and its data: each one uses products and accounts of its own, or
arranges what it needs first (`storefront.admin(...)`).
"""

import asyncio
import email
import email.policy
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from tests.conftest import PROJECT_ROOT, without_cost
from tests.served import Served

CHROMIUM = Path("/usr/bin/chromium")
STOREFRONT = PROJECT_ROOT / "storefront"
E2E_DIR = STOREFRONT / "e2e"
# Where scenarios save the screenshots the docs show: overwritten on every run.
SCREENSHOT_DIR = Path(
    os.environ.get("STOREFRONT_SCREENSHOT_DIR") or PROJECT_ROOT / "docs" / "screenshots"
)
# A failing scenario's pictures of its open pages (ignored by git).
FAILURE_DIR = E2E_DIR / "output"
SCENARIO_SECONDS = 180.0
DEMO_ACCOUNT = re.compile(r"^demo (admin|customer): (\S+) / (\S+) ", re.MULTILINE)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, if they cannot: the only reasons to skip."""
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium package "
            "(apt-get, as root or with sudo); it could not here"
        )
    if shutil.which("node") is None:
        return "Node.js is missing: the browser scenarios (storefront/e2e) run with node"
    return None


def check_installed() -> None:
    """Fails, saying what to run, when the build or playwright-core is missing (npm is
    there whenever node is, and `make install` builds both)."""
    assert (STOREFRONT / "dist" / "index.html").is_file(), (
        "the storefront is not built: run `make install` (npm ci and npm run build)"
    )
    assert (STOREFRONT / "node_modules" / "playwright-core" / "package.json").is_file(), (
        "playwright-core is not installed in storefront/node_modules: run `make install`"
    )


@dataclass(frozen=True)
class Login:
    email: str
    password: str


def demo_logins(output: str) -> dict[str, Login]:
    """The demo accounts' logins, by role ("admin", "customer"), from what the first
    start printed."""
    return {role: Login(mail, password) for role, mail, password in DEMO_ACCOUNT.findall(output)}


@dataclass
class ScenarioRun:
    name: str
    output: str  # stdout and stderr together
    results: dict[str, Any]  # every `RESULT {json}` line, merged
    seconds: float


@dataclass
class Storefront:
    """What a browser test gets: the server, its database and outbox, a scenario runner
    and an admin's API client."""

    served: Served
    db: AsyncDatabase[Any]
    data_dir: Path
    logins: dict[str, Login]
    runs: list[ScenarioRun] = field(default_factory=list)
    _admin_token: str | None = None

    @property
    def base_url(self) -> str:
        return self.served.base_url

    @property
    def outbox(self) -> Path:
        """Where the server writes the emails it sends (`*.eml`)."""
        return self.data_dir / "outbox"

    @property
    def admin_login(self) -> Login:
        return self.logins["admin"]

    @property
    def customer_login(self) -> Login:
        return self.logins["customer"]

    async def run(self, scenario: str, **env: str) -> ScenarioRun:
        """Runs storefront/e2e/<scenario>.mjs and fails the test, with its output and the
        server's, unless it exits 0. `env` adds variables to what it is given:
        STOREFRONT_URL, SCREENSHOT_DIR, E2E_OUTPUT_DIR and the demo accounts' ADMIN_EMAIL,
        ADMIN_PASSWORD, CUSTOMER_EMAIL, CUSTOMER_PASSWORD."""
        script = E2E_DIR / f"{scenario}.mjs"
        assert script.is_file(), f"no scenario {script}"
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            "node",
            str(script),
            cwd=STOREFRONT,
            env={**os.environ, **self.scenario_env(), **env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(), SCENARIO_SECONDS)
        except TimeoutError:
            process.kill()
            out, _ = await process.communicate()
            raise AssertionError(
                f"scenario {scenario} ran over {SCENARIO_SECONDS:.0f} s:\n"
                f"{out.decode(errors='replace')}"
            ) from None
        output = out.decode(errors="replace")
        run = ScenarioRun(scenario, output, results_of(output), time.monotonic() - started)
        self.runs.append(run)
        print(output)  # pytest shows it with the test's report
        assert process.returncode == 0, (
            f"scenario {scenario} failed (exit {process.returncode}):\n{output}\n"
            f"--- the server's last output ---\n{self.served.output()[-4000:]}"
        )
        return run

    def scenario_env(self) -> dict[str, str]:
        return {
            "STOREFRONT_URL": self.base_url,
            "SCREENSHOT_DIR": str(SCREENSHOT_DIR),
            "E2E_OUTPUT_DIR": str(FAILURE_DIR),
            "ADMIN_EMAIL": self.admin_login.email,
            "ADMIN_PASSWORD": self.admin_login.password,
            "CUSTOMER_EMAIL": self.customer_login.email,
            "CUSTOMER_PASSWORD": self.customer_login.password,
        }

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """One request to the served API; the JSON body (without `extensions.cost`)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as http:
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        return without_cost(response.json())

    async def log_in(self, login: Login) -> str:
        """The access token of a login."""
        body = await self.graphql(
            "mutation HarnessLogin($email: String!, $password: String!) {"
            " login(email: $email, password: $password) { accessToken userErrors { message } } }",
            {"email": login.email, "password": login.password},
        )
        token = (body.get("data") or {}).get("login", {}).get("accessToken")
        assert token, f"login of {login.email} failed: {body}"
        return str(token)

    async def admin(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """A request as the demo admin (e.g. `adjustStock`); its `data`. GraphQL errors and
        `userErrors` in any payload fail the test."""
        if self._admin_token is None:
            self._admin_token = await self.log_in(self.admin_login)
        body = await self.graphql(query, variables, token=self._admin_token)
        assert "errors" not in body, body
        for payload in body["data"].values():
            if isinstance(payload, dict):
                assert not payload.get("userErrors"), payload
        return dict(body["data"])

    def emails(self) -> list[EmailMessage]:
        """Every email the server has written to its outbox, oldest first."""
        paths = sorted(self.outbox.glob("*.eml"), key=lambda path: path.stat().st_mtime)
        return [read_email(path) for path in paths]

    async def wait_for_email(
        self, to: str, subject: str = "", within: float = 15.0
    ) -> EmailMessage:
        """The first email to `to` whose subject contains `subject`, once the mailer (every
        0.2 s here) has written it."""
        deadline = time.monotonic() + within
        while True:
            for message in self.emails():
                if to in str(message["To"]) and subject in str(message["Subject"]):
                    return message
            if time.monotonic() > deadline:
                sent = [(str(m["To"]), str(m["Subject"])) for m in self.emails()]
                raise AssertionError(f"no email to {to} about {subject!r} in {within} s: {sent}")
            await asyncio.sleep(0.1)


def results_of(output: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for line in output.splitlines():
        if line.startswith("RESULT "):
            results.update(json.loads(line.removeprefix("RESULT ")))
    return results


def read_email(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def email_text(message: EmailMessage) -> str:
    """The plain-text body."""
    part = message.get_body(("plain",))
    assert part is not None, message
    return str(part.get_content())  # type: ignore[attr-defined]
