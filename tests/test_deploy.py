"""The container and the compose file (docs/deploy.md), checked where Docker cannot run.

The compose file is validated against the Compose specification's JSON schema and against
itself (names, addresses, the replica set, the proxy); the Dockerfile against the Makefile
(the same install commands). What can run without Docker runs for real: a server started
with the image's and the compose file's settings, answering the image's HEALTHCHECK, the
secret the compose file generates, and the demo catalog it seeds.
"""

import ipaddress
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pymongo import MongoClient

from shopgraph.server.client_address import ClientAddresses
from shopgraph.server.embedded import free_port
from shopgraph.settings import Settings

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
NGINX_CONF = DEPLOY / "nginx.conf"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_SCHEMA = Path(__file__).parent / "data" / "compose-spec.json"
IMAGE_VENV = "/opt/venv"  # where the Dockerfile builds the virtualenv
SHOPGRAPH_IMAGE = "shopgraph:local"
MONGODB_PORT = 27017
SETTING_NAMES = {
    alias.upper()
    for name, field in Settings.model_fields.items()
    for alias in [f"SHOPGRAPH_{name}", *getattr(field.validation_alias, "choices", [])]
}  # every environment variable the settings read


# --- reading the files ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile_stages(text: str) -> list[list[Instruction]]:
    """The instructions of each build stage, each stage starting with its FROM."""
    joined = re.sub(r"\\\n", "", text)  # Docker's line continuation
    stages: list[list[Instruction]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip())
        if instruction.keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def shell_commands(script: str) -> list[str]:
    """The simple commands of a shell line, whitespace normalised, shell keywords and make's
    `@` dropped: `if ...; then npm ci ... && touch x; fi` gives `npm ci ...`, `touch x`."""
    commands = []
    for part in re.split(r"&&|\|\||;|\n", script):
        words = part.split()
        while words and words[0] in {"then", "else", "elif", "if", "do", "fi", "done"}:
            words = words[1:]
        if words:
            commands.append(" ".join(words).lstrip("@"))
    return commands


def installing(commands: list[str]) -> list[str]:
    return [c for c in commands if re.search(r"-m venv |-m pip install |npm (ci|install)\b", c)]


def makefile_install_commands() -> list[str]:
    """What the Makefile runs to install, as the image writes it: the venv is IMAGE_VENV,
    and the project is installed as a package, not editable and without extras (no tests
    or linters in the image)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Makefile").read_text())
    recipes = "\n".join(line for line in text.splitlines() if line.startswith("\t"))
    image_form = {
        r"\$\(BIN\)": f"{IMAGE_VENV}/bin",
        r"\$\(VENV\)": IMAGE_VENV,
        r"\$\(PYTHON\)": "python",
        r'-e "\.\[[\w,-]*\]"': ".",
    }
    commands = []
    for command in installing(shell_commands(recipes)):
        if "tests/" in command:  # tools for the tests, like the dev extra: not for the image
            continue
        if "--prefix storefront" in command:  # the image serves the API only (docs/storefront.md)
            continue
        for make_form, image in image_form.items():
            command = re.sub(make_form, image, command)
        commands.append(command)
    return commands


def dockerfile_run_commands(stages: list[list[Instruction]]) -> list[str]:
    return [
        command
        for stage in stages
        for instruction in stage
        if instruction.keyword == "RUN"
        for command in shell_commands(instruction.arguments)
    ]


def image_environment(stage: list[Instruction]) -> dict[str, str]:
    environment: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.arguments):
                name, _, value = pair.partition("=")
                environment[name] = value
    return environment


def healthcheck_command(stage: list[Instruction]) -> list[str]:
    [healthcheck] = [i.arguments for i in stage if i.keyword == "HEALTHCHECK"]
    _, _, command = healthcheck.partition("CMD ")
    return json.loads(command)  # the exec form: no shell in between


@dataclass(frozen=True, slots=True)
class Directive:
    context: tuple[str, ...]  # the enclosing blocks' names, outermost first
    name: str
    arguments: tuple[str, ...]


def nginx_directives(text: str) -> list[Directive]:
    """Every directive, blocks included, with the blocks it sits in."""
    text = re.sub(r"#[^\n]*", "", text)
    directives: list[Directive] = []
    context: list[str] = []
    words: list[str] = []
    for token in re.findall(r"[{};]|[^\s{};]+", text):
        if token in "{;":
            directives.append(Directive(tuple(context), words[0], tuple(words[1:])))
            if token == "{":
                context.append(words[0])
            words = []
        elif token == "}":
            context.pop()
        else:
            words.append(token)
    return directives


def only(directives: list[Directive], name: str, *context: str) -> tuple[str, ...]:
    """The arguments of the one directive `name` in the block `context`."""
    [found] = [d.arguments for d in directives if d.name == name and d.context == context]
    return found


def nginx_seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(
        float(number) * units[unit or "s"]
        for number, unit in re.findall(r"(\d+)(ms|s|m|h|d)?", value)
    )


def settings_from(monkeypatch: pytest.MonkeyPatch, environment: dict[str, Any]) -> Settings:
    """The settings a process would have with `environment` and no other setting."""
    for variable in list(os.environ):
        if variable in SETTING_NAMES:
            monkeypatch.delenv(variable)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, str(value))
    return Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def stages() -> list[list[Instruction]]:
    return dockerfile_stages(DOCKERFILE.read_text())


def services_running(compose: dict[str, Any], *command: str) -> dict[str, dict[str, Any]]:
    """The services of Shopgraph's image whose command starts with `command` (the image's
    own CMD, `shopgraph serve`, when they set none)."""
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image") == SHOPGRAPH_IMAGE
        and service.get("command", ["shopgraph", "serve"])[: len(command)] == list(command)
    }


def the_server(compose: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(name, service)] = services_running(compose, "shopgraph", "serve").items()
    return name, service


# --- the compose file ----------------------------------------------------------------------


def test_the_compose_file_is_valid_against_the_compose_specification(compose):
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(compose)
    ]
    assert problems == []


def test_the_schema_catches_what_compose_would_refuse(compose):
    """The validation is no formality: a misspelt key or a wrong type is reported."""
    validator = jsonschema.Draft7Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    name, server = the_server(compose)
    broken = {
        **compose,
        "services": {
            **compose["services"],
            name: {**server, "depends_on": {"mongo-1": {"condition": "when_ready"}}},
            "typo": {"image": "nginx", "port": ["8080:80"]},
        },
    }
    messages = [error.message for error in validator.iter_errors(broken)]
    assert any("when_ready" in message for message in messages), messages
    assert any("'port'" in message for message in messages), messages


def test_the_compose_file_takes_nothing_from_the_shell_that_runs_it():
    """Compose replaces `$NAME` anywhere in the file, inside the scripts too: there is none,
    so `docker compose up` means the same on every machine."""
    assert "$" not in COMPOSE_FILE.read_text()


def test_every_dependency_is_a_service_of_the_file(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", []):
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert dependency != name


def test_two_or_more_shopgraph_replicas_wait_for_a_primary_and_their_secret(compose):
    _, server = the_server(compose)
    assert server["deploy"]["replicas"] >= 2
    assert server["depends_on"]["mongo-1"] == {"condition": "service_healthy"}
    [maker] = services_running(compose, "python")
    assert server["depends_on"][maker] == {"condition": "service_completed_successfully"}
    assert "ports" not in server, "clients reach the replicas through the proxy only"


def test_the_replica_set_members_are_the_mongo_services_and_the_uri_names_them(compose):
    mongo = {
        name: service
        for name, service in compose["services"].items()
        if service["image"].startswith("mongo:")
    }
    assert len(mongo) == 3
    for service in mongo.values():
        command = service["command"]
        assert command[command.index("--replSet") + 1] == "rs0"
        assert "ports" not in service, "the database is not published"

    [initiator] = [s for s in mongo.values() if "rs.initiate" in str(s.get("healthcheck"))]
    script = initiator["healthcheck"]["test"][-1]
    assert re.search(r'_id: "(\w+)"', script).group(1) == "rs0"
    members = set(re.findall(r'host: "([^"]+)"', script))
    assert members == {f"{name}:{MONGODB_PORT}" for name in mongo}

    _, server = the_server(compose)
    uri = server["environment"]["MONGODB_URI"]
    hosts, _, options = uri.removeprefix("mongodb://").partition("/?")
    assert set(hosts.split(",")) == members
    assert "replicaSet=rs0" in options.split("&")


def test_shopgraph_is_configured_with_settings_that_exist_and_parse(compose, monkeypatch):
    """A misspelt name would be ignored without a word (settings ignore unknown variables)."""
    for name, service in compose["services"].items():
        if service.get("image") != SHOPGRAPH_IMAGE:
            continue
        environment = service["environment"]
        assert set(environment) <= SETTING_NAMES, f"{name}: {set(environment) - SETTING_NAMES}"
        settings = settings_from(monkeypatch, environment)
        assert settings.is_production
        assert settings.smtp_host == "mailpit"


def test_forwarded_for_counts_from_the_proxy_alone(compose):
    _, server = the_server(compose)
    proxy = compose["services"]["proxy"]
    trusted = server["environment"]["SHOPGRAPH_TRUSTED_PROXIES"]
    address = proxy["networks"]["edge"]["ipv4_address"]
    [subnet] = [c["subnet"] for c in compose["networks"]["edge"]["ipam"]["config"]]
    assert trusted == address
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    assert "edge" in server["networks"]

    # What nginx sends ($proxy_add_x_forwarded_for): the client's claim, then its peer.
    settings = Settings(_env_file=None, trusted_proxies=trusted)  # type: ignore[call-arg]
    clients = ClientAddresses.trusting(settings.trusted_proxies)
    assert clients.resolve(address, "192.0.2.66, 203.0.113.9") == "203.0.113.9"
    gateway = str(next(ipaddress.ip_network(subnet).hosts()))
    assert clients.resolve(gateway, "203.0.113.9") == gateway  # another neighbour: no trust


def test_only_the_proxy_and_the_mail_viewer_are_published_and_on_loopback(compose):
    published = {
        name: service["ports"]
        for name, service in compose["services"].items()
        if "ports" in service
    }
    assert published == {"proxy": ["127.0.0.1:8080:80"], "mailpit": ["127.0.0.1:8025:8025"]}


# --- the proxy -----------------------------------------------------------------------------


def test_the_proxy_passes_websockets_to_the_shopgraph_service(compose, stages):
    directives = nginx_directives(NGINX_CONF.read_text())
    [upstream] = only(directives, "upstream")
    location = ("server", "location")
    assert only(directives, "proxy_pass", *location) == (f"http://{upstream}",)

    servers = [
        d.arguments[0] for d in directives if d.context == ("upstream",) and d.name == "server"
    ]
    port = image_environment(stages[-1])["PORT"]
    server_name, _ = the_server(compose)
    assert servers == [f"{server_name}:{port}"]

    headers = {
        d.arguments[0]: d.arguments[1:]
        for d in directives
        if d.name == "proxy_set_header" and d.context == location
    }
    assert headers["Upgrade"] == ("$http_upgrade",)
    assert headers["Connection"] == ("$connection_upgrade",)
    assert headers["X-Forwarded-For"] == ("$proxy_add_x_forwarded_for",)
    assert only(directives, "map") == ("$http_upgrade", "$connection_upgrade")
    assert only(directives, "default", "map") == ("upgrade",)
    assert only(directives, "proxy_http_version", *location) == ("1.1",)

    [read_timeout] = only(directives, "proxy_read_timeout", *location)
    assert nginx_seconds(read_timeout) >= 600  # a quiet subscription outlives 10 minutes

    [mount] = compose["services"]["proxy"]["volumes"]
    source, target, _ = mount.split(":")
    assert (DEPLOY / source).resolve() == NGINX_CONF
    assert target == "/etc/nginx/conf.d/default.conf"  # replaces the welcome page


def test_nginx_seconds_reads_nginx_time_units():
    assert nginx_seconds("1h") == 3600
    assert nginx_seconds("90") == 90
    assert nginx_seconds("1m30s") == 90


# --- the Dockerfile ------------------------------------------------------------------------


def test_the_image_is_built_in_stages_and_runs_as_an_unprivileged_user(stages):
    assert len(stages) >= 2
    runtime = stages[-1]
    [user] = [i.arguments for i in runtime if i.keyword == "USER"]
    assert user.split(":")[0] not in {"root", "0"}
    copied_from = {m.group(1) for i in runtime if (m := re.match(r"--from=(\S+)", i.arguments))}
    built_stages = {stage[0].arguments.split(" AS ")[-1] for stage in stages[:-1]}
    assert copied_from == built_stages  # the venv and the GraphiQL assets, nothing else
    assert not any(i.keyword == "RUN" and "pip install" in i.arguments for i in runtime)
    [command] = [i.arguments for i in runtime if i.keyword == "CMD"]
    assert json.loads(command) == ["shopgraph", "serve"]


def test_the_image_healthcheck_asks_readyz(stages):
    command = healthcheck_command(stages[-1])
    assert command[0] == "python"
    assert "/readyz" in command[-1]


def test_the_image_installs_with_the_commands_make_runs(stages):
    """Each install command of `make install` is in the Dockerfile (in the image's venv,
    without what only the tests use), and the Dockerfile installs nothing else."""
    make_commands = makefile_install_commands()
    image_commands = installing(dockerfile_run_commands(stages))
    assert len(make_commands) == 4  # venv, pip, the project, GraphiQL's assets
    assert sorted(image_commands) == sorted(make_commands)


def test_the_image_sets_settings_that_exist_and_parse(stages, monkeypatch):
    environment = image_environment(stages[-1])
    ours = {k: v for k, v in environment.items() if k != "PATH" and not k.startswith("PYTHON")}
    assert set(ours) <= SETTING_NAMES, set(ours) - SETTING_NAMES

    # What Kubernetes adds beside a Service named shopgraph: PORT outranks it.
    settings = settings_from(monkeypatch, {**ours, "SHOPGRAPH_PORT": "tcp://10.0.0.7:8000"})

    assert (settings.host, settings.port) == ("0.0.0.0", 8000)
    assert settings.is_production


def test_the_build_context_leaves_out_local_state_but_not_what_is_copied(stages):
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for local in [".git", ".venv", ".data", "graphiql/node_modules", ".env", "build", "dist"]:
        assert any(fnmatch(local, p) for p in patterns), f"{local} is sent to the builder"
    copied = [
        source
        for stage in stages
        for i in stage
        if i.keyword == "COPY" and not i.arguments.startswith("--from")
        for source in i.arguments.split()[:-1]
    ]
    assert "shopgraph" in copied and "pyproject.toml" in copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not any(fnmatch(source, p) for p in patterns), f"{source} is ignored"


# --- what runs without Docker, run for real ------------------------------------------------


def run_as_in_the_image(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """A command of the compose file or the Dockerfile, with this venv's Python."""
    program = {"python": [sys.executable], "shopgraph": [sys.executable, "-m", "shopgraph"]}
    return subprocess.run(
        [*program[command[0]], *command[1:]], env=env, capture_output=True, text=True, timeout=60
    )


def wait_ready(url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if json.loads(response.read())["status"] == "ready":
                    return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.2)
    raise AssertionError("server did not become ready")


def test_the_generated_secret_is_made_once_and_readable_by_its_owner_only(compose, tmp_path):
    [(_, maker)] = services_running(compose, "python").items()
    path = tmp_path / "jwt-secret"
    env = {**os.environ, "SHOPGRAPH_JWT_SECRET_FILE": str(path)}

    first = run_as_in_the_image(maker["command"], env)
    assert first.returncode == 0, first.stderr
    secret = path.read_text()
    second = run_as_in_the_image(maker["command"], env)

    assert second.returncode == 0, second.stderr
    assert path.read_text() == secret
    assert len(secret.encode()) >= 48
    assert path.stat().st_mode & 0o777 == 0o400
    # The file is in the volume the replicas mount, read-only, where the setting says.
    [volume] = maker["volumes"]
    _, server = the_server(compose)
    assert f"{volume}:ro" in server["volumes"]
    assert Path(server["environment"]["SHOPGRAPH_JWT_SECRET_FILE"]).parent == Path(
        volume.split(":")[1]
    )


def test_a_server_configured_as_the_image_and_compose_file_say_serves(
    compose, stages, mongodb_target, tmp_path
):
    """The image's settings and a replica's, with only the addresses that exist inside
    Docker alone pointed here: the database, the secret's file, the data directory and
    GraphiQL's assets. It binds every interface, passes the HEALTHCHECK, serves GraphiQL
    with its own assets, and the demo-catalog service seeds an empty catalog once."""
    uri, name = mongodb_target
    [(_, maker)] = services_running(compose, "python").items()
    [(_, seeder)] = services_running(compose, "shopgraph", "seed").items()
    _, server_service = the_server(compose)
    port = free_port()
    here = {
        "MONGODB_URI": uri,
        "SHOPGRAPH_DB_NAME": name,
        "SHOPGRAPH_JWT_SECRET_FILE": str(tmp_path / "jwt-secret"),
        "SHOPGRAPH_SMTP_HOST": "127.0.0.1",
        "SHOPGRAPH_DATA_DIR": str(tmp_path),
        "SHOPGRAPH_GRAPHIQL_ASSETS_DIR": str(ROOT / "graphiql" / "node_modules"),
        "PORT": str(port),
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("SHOPGRAPH_")}
    base.pop("MONGODB_URI", None)
    env = {
        **base,
        **image_environment(stages[-1]),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        **{k: str(v) for k, v in server_service["environment"].items()},
        **here,
    }
    assert run_as_in_the_image(maker["command"], env).returncode == 0
    health = healthcheck_command(stages[-1])

    server = subprocess.Popen(
        [sys.executable, "-m", "shopgraph", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # 127.0.0.2 is loopback too, but reaches only a server bound to every interface.
        wait_ready(f"http://127.0.0.2:{port}/readyz", server)
        assert run_as_in_the_image(health, env).returncode == 0
        page = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql", headers={"Accept": "text/html"}
        )
        with urllib.request.urlopen(page, timeout=5) as response:
            assert "/graphiql-assets/graphiql/graphiql.min.js" in response.read().decode()

        # At every `docker compose up`; a demo product an admin deleted stays deleted.
        first = run_as_in_the_image(seeder["command"], env)
        with MongoClient(uri) as client:
            assert client[name].products.count_documents({}) == 72, first.stderr
            assert client[name].users.count_documents({}) == 0  # production: no demo accounts
            client[name].products.delete_one({})
            again = run_as_in_the_image(seeder["command"], env)
            assert client[name].products.count_documents({}) == 71, again.stderr
        assert [first.stdout, again.stdout] == [
            "added 72 demo products\n",
            "added 0 demo products\n",
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)

    assert server.returncode == 0, output
    assert "Traceback" not in output
    assert run_as_in_the_image(health, env).returncode != 0  # nobody answers now
