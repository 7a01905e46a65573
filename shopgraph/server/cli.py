"""The `shopgraph` command: serve, migrate, seed, create-admin, export-schema."""

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import NoReturn

import uvicorn
from pydantic import ValidationError

from shopgraph.auth.account_rules import normalize_email
from shopgraph.auth.accounts import DemoAccount, Promotion
from shopgraph.auth.passwords import passwords_from
from shopgraph.auth.secret import MissingSecret
from shopgraph.catalog.image_work import ImageWork
from shopgraph.datasources.client import Datasources, connect
from shopgraph.errors import DomainError, ErrorCode
from shopgraph.integrations.payments import GatewayNotAllowed
from shopgraph.migrations import MIGRATIONS, Applied, MigrationError
from shopgraph.schema.build import build_schema
from shopgraph.server.announce import announce_demo_accounts, say
from shopgraph.server.app import create_app
from shopgraph.server.demo_catalog import demo_image, demo_products
from shopgraph.server.demo_store import seed_checkout_terms
from shopgraph.server.embedded import EmbeddedMongo, EmbeddedMongoError
from shopgraph.server.logs import configure_logging, logging_config
from shopgraph.server.metrics.exposition import (
    MetricsPortUnavailable,
    announce_metrics,
    serving_metrics,
)
from shopgraph.server.migrating import migrate_at_start, refusal, run_migrations
from shopgraph.server.storefront import announce_storefront
from shopgraph.server.workers import WorkerFailed, run_workers
from shopgraph.services import accounts_service, catalog_service, images_service
from shopgraph.settings import LogFormat, Settings

logger = logging.getLogger("shopgraph")


class StartupError(Exception):
    """Printed as one line, without a traceback: the message says what to do."""


@contextmanager
def mongodb(settings: Settings) -> Iterator[Settings]:
    """Settings with a reachable `mongodb_uri`, starting the embedded server when none is set."""
    if settings.mongodb_uri:
        yield settings
        return
    embedded = EmbeddedMongo(settings.embedded_db_path, log_dir=settings.data_dir)
    try:
        uri = embedded.start()
    except EmbeddedMongoError as error:
        raise StartupError(str(error)) from error
    try:
        logger.info("embedded MongoDB on %s, data in %s", uri, settings.data_dir)
        yield settings.model_copy(update={"mongodb_uri": uri})
    finally:
        embedded.stop()


class Seeding(StrEnum):
    IF_EMPTY = "if-empty"  # the server: products an admin deleted stay deleted
    MISSING = "missing"  # `shopgraph seed`: add the demo products not in the catalog
    NOTHING = "nothing"  # the server in production: the catalog and accounts are the shop's


@asynccontextmanager
async def open_datasources(settings: Settings) -> AsyncIterator[Datasources]:
    """Datasources for a command, after checking MongoDB answers and creating indexes."""
    assert settings.mongodb_uri
    client = connect(settings.mongodb_uri, timeout_ms=settings.mongodb_timeout_ms)
    try:
        datasources = Datasources.for_database(client[settings.db_name])
        if not await datasources.is_reachable(settings.mongodb_timeout_ms / 1000):
            raise StartupError(
                f"MongoDB at {settings.mongodb_uri} is unreachable; start it or fix MONGODB_URI"
            )
        await datasources.ensure_indexes()
        yield datasources
    finally:
        await client.close()


async def prepare_database(
    settings: Settings, seeding: Seeding, *, reset: bool = False, starting: bool = False
) -> tuple[int, list[DemoAccount]]:
    """Seeds the catalog; returns how many products it added and the demo accounts made.

    `starting` (the server) migrates first. In development the first seed also creates a
    demo admin and customer. `Seeding.NOTHING` only checks that MongoDB answers and creates
    the indexes.
    """
    async with open_datasources(settings) as datasources:
        if starting:
            await migrate_at_start(settings, datasources.database)
        if seeding is Seeding.NOTHING:
            return 0, []
        catalog = catalog_service(settings, datasources)
        products = demo_products()
        added = await catalog.seed(products, reset=reset, only_if_empty=seeding is Seeding.IF_EMPTY)
        if added:  # a picture for each product just added
            work = ImageWork(settings.image_work_concurrency)
            images = images_service(settings, datasources, work)
            await images.add_missing((product["_id"] for product in products), demo_image)
        if seeding is Seeding.IF_EMPTY and not added:
            return 0, []
        await seed_checkout_terms(datasources, settings.currency)
        if settings.is_production:
            return added, []
        accounts = accounts_service(settings, datasources, passwords_from(settings))
        return added, await accounts.create_demo_accounts()


def _exit_normally(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """With `workers` > 1, the MongoDB, migrations and seeding are this process's, and
    the serving is done by that many worker processes (server.workers)."""
    # Uvicorn shuts down gracefully on SIGTERM, then raises the signal again; this
    # handler turns that into an exit that still runs the cleanup below.
    signal.signal(signal.SIGTERM, _exit_normally)
    with mongodb(settings) as settings, serving_metrics(settings, workers=workers):
        app = create_app(settings, handle_signals=True)
        seeding = Seeding.NOTHING if settings.is_production else Seeding.IF_EMPTY
        seeded, accounts = asyncio.run(prepare_database(settings, seeding, starting=True))
        if seeding is Seeding.NOTHING:
            logger.info("production: seeded nothing (no demo catalog, no demo accounts)")
        elif seeded:
            logger.info("seeded the demo catalog: %d products", seeded)
        announce_demo_accounts(settings, accounts)
        if settings.graphiql_enabled:
            say(settings, f"Shopgraph: GraphiQL at http://{host}:{port}/graphql")
            if not app.state.serves_graphiql_assets:
                say(
                    settings,
                    "GraphiQL loads its scripts from a CDN: run `make install` with npm "
                    "available to serve them locally",
                )
        else:
            say(settings, f"Shopgraph: GraphQL at http://{host}:{port}/graphql")
        announce_storefront(settings, host, port)
        announce_metrics(settings, host, port)
        options = dict(
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
            # A WebSocket frame or message over the body limit is refused from its header
            # (close 1009), before it is buffered; the app checks again (BodySizeLimit).
            ws_max_size=settings.max_body_bytes,
            ws_per_message_deflate=settings.ws_per_message_deflate,
            # The client's address is ours to resolve (SHOPGRAPH_TRUSTED_PROXIES): uvicorn
            # would otherwise believe X-Forwarded-For from any local peer.
            proxy_headers=False,
            # Access and error logs in the format of the others (in each worker too).
            log_config=logging_config(settings),
            # On SIGTERM, requests in flight get this long to finish (docs/operations/processes.md).
            timeout_graceful_shutdown=settings.shutdown_seconds,
        )
        if workers > 1:
            run_workers(settings, workers, **options)
        else:
            uvicorn.run(app, **options)


def migrate(settings: Settings) -> None:
    async def run() -> list[Applied]:
        async with open_datasources(settings) as datasources:
            return await run_migrations(settings, datasources.database)

    with mongodb(settings) as settings:
        applied = asyncio.run(run())
    for done in applied:
        print(f"applied {done.migration.id} in {done.took_ms} ms")
    if not applied:
        print(f"nothing to migrate: all applied, up to {MIGRATIONS[-1].id}")


def seed(settings: Settings, reset: bool, if_empty: bool = False) -> None:
    seeding = Seeding.IF_EMPTY if if_empty else Seeding.MISSING
    with mongodb(settings) as settings:
        added, accounts = asyncio.run(prepare_database(settings, seeding, reset=reset))
    print(f"{'reset the catalog and ' if reset else ''}added {added} demo products")
    announce_demo_accounts(settings, accounts)


def admin(settings: Settings, email: str, promote: bool) -> None:
    """Creates an admin, or with `promote` makes an existing account one; never the one
    when the other was asked for."""
    password = settings.admin_password.get_secret_value() if settings.admin_password else None

    def new_password() -> str:
        return password if password is not None else _prompt_password()

    async def run() -> str:
        async with open_datasources(settings) as datasources:
            accounts = accounts_service(settings, datasources, passwords_from(settings))
            try:
                if promote:
                    return _promoted(await accounts.promote_to_admin(email), password is not None)
                return await accounts.create_admin(email, new_password)
            except DomainError as error:
                raise StartupError(_admin_refusal(email, error)) from error

    with mongodb(settings) as settings:
        print(asyncio.run(run()))


def _promoted(promotion: Promotion, password_given: bool) -> str:
    verified_at = promotion.email_verified_at
    verified = (
        f"email verified {verified_at:%Y-%m-%d %H:%M:%S %Z}"
        if verified_at
        else "email not verified"
    )
    who = (
        f"{promotion.email} (name {promotion.name!r}, id {promotion.user_id}, "
        f"registered {promotion.created_at:%Y-%m-%d %H:%M:%S %Z}, {verified})"
    )
    if promotion.was_admin:
        return f"{who} is already an admin; nothing changed"
    lines = [
        f"promoted {who} from {promotion.previous_role.lower()} to admin",
        "its password is unchanged and its sessions have ended: it must log in again",
    ]
    if password_given:
        lines.append("SHOPGRAPH_ADMIN_PASSWORD was ignored: a promoted account keeps its password")
    return "\n".join(lines)


def _admin_refusal(email: str, error: DomainError) -> str:
    problem = error.problems[0]
    about = f"{normalize_email(email)!r}: " if problem.field == "email" else ""
    advice = {
        ErrorCode.ALREADY_EXISTS: "; nothing changed. To make that account an admin, keeping "
        "its password, run again with --promote",
        ErrorCode.NOT_FOUND: "; to create an admin, run again without --promote",
    }
    return about + problem.message.rstrip(".") + advice.get(problem.code, "")


def _prompt_password() -> str:
    if not sys.stdin.isatty():
        raise StartupError("set SHOPGRAPH_ADMIN_PASSWORD or run in a terminal to be prompted")
    first = getpass.getpass("Password for the new admin: ")
    if getpass.getpass("Repeat it: ") != first:
        raise StartupError("the passwords differ")
    return first


def export_schema(output: Path | None) -> None:
    sdl = build_schema().as_str() + "\n"
    if output is None:
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="shopgraph",
        description="Shopgraph, the GraphQL backend of an online store. "
        "Settings come from SHOPGRAPH_* environment variables (see README).",
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve_command = commands.add_parser(
        "serve",
        help="serve the GraphQL API (and GraphiQL in development)",
        description="Serve /graphql. Without MONGODB_URI, start the embedded MongoDB with its "
        "data in SHOPGRAPH_DATA_DIR. Apply pending migrations first, unless "
        "SHOPGRAPH_MIGRATE_ON_START=false (then refuse to start while any is pending). In "
        "development, seed the demo catalog and demo accounts when the catalog is empty; in "
        "production, seed nothing. With --workers N, all that happens once, then N processes "
        "serve on the port. On SIGTERM, finish requests in flight (up to "
        "SHOPGRAPH_SHUTDOWN_SECONDS) and close WebSockets with 1001.",
    )
    serve_command.add_argument("--host", help="interface to bind (default: HOST or 127.0.0.1)")
    serve_command.add_argument("--port", type=int, help="port to bind (default: PORT or 8000)")
    serve_command.add_argument(
        "--workers",
        type=int,
        choices=range(1, 65),
        metavar="N",
        help="server processes on the port, 1 to 64 (default: SHOPGRAPH_WORKERS or 1)",
    )
    commands.add_parser(
        "migrate",
        help="apply the pending database migrations (serve does too, unless told not to)",
        description="Apply the database migrations not applied yet, in order, and say which. "
        "Of several processes migrating at once, one migrates and the others wait for it "
        "(up to SHOPGRAPH_MIGRATION_WAIT_SECONDS). Run it before starting servers that "
        "have SHOPGRAPH_MIGRATE_ON_START=false.",
    )
    seed_command = commands.add_parser(
        "seed",
        help="add the demo catalog's products that are missing (idempotent)",
        description="Add the demo catalog's products that are not in the database yet.",
    )
    seed_how = seed_command.add_mutually_exclusive_group()
    seed_how.add_argument(
        "--reset", action="store_true", help="delete every product first, then seed"
    )
    seed_how.add_argument(
        "--if-empty",
        action="store_true",
        help="seed only a catalog without products, as `serve` does in development (products "
        "an admin deleted stay deleted); deploy/docker-compose.yml seeds this way",
    )
    admin_command = commands.add_parser(
        "create-admin",
        help="create an admin account, or promote an existing one with --promote",
        description="Create an admin with the password in SHOPGRAPH_ADMIN_PASSWORD (prompted "
        "twice when unset); its email counts as verified. An email that has an account is "
        "refused, unless --promote is given: then that account, once its owner has verified "
        "the email, becomes an admin, keeps its password and is logged out.",
    )
    admin_command.add_argument("--email", required=True, help="the admin's email")
    admin_command.add_argument(
        "--promote",
        action="store_true",
        help="make the existing account with this email an admin instead of creating one",
    )
    export_command = commands.add_parser(
        "export-schema",
        help="print the GraphQL schema (SDL)",
        description="Print the schema in GraphQL SDL, as kept in schema.graphql.",
    )
    export_command.add_argument("--output", "-o", type=Path, help="write to a file instead")
    return root


def _fail(settings: Settings, message: str) -> NoReturn:
    """Exits with `message` on stderr: one line, as JSON with JSON logs."""
    if settings.log_format_in_use is LogFormat.JSON:
        logger.critical("%s", message)
        sys.exit(1)
    sys.exit(message)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors()
        )
        sys.exit(f"shopgraph: invalid settings: {problems}")
    configure_logging(settings)
    try:
        if args.command == "serve":
            serve(
                settings,
                args.host or settings.host,
                args.port or settings.port,
                args.workers or settings.workers,
            )
        elif args.command == "migrate":
            migrate(settings)
        elif args.command == "seed":
            seed(settings, args.reset, args.if_empty)
        elif args.command == "create-admin":
            admin(settings, args.email, args.promote)
        else:
            export_schema(args.output)
    except (
        StartupError,
        MissingSecret,
        GatewayNotAllowed,
        MetricsPortUnavailable,
        WorkerFailed,
    ) as error:
        _fail(settings, f"shopgraph: {error}")
    except MigrationError as error:
        _fail(settings, f"shopgraph: {refusal(error)}")
    except KeyboardInterrupt:
        pass
