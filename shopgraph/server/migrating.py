"""Migrations as `shopgraph migrate` and the server's start run them, and the one line
that says what to do when they stop a start.

`serve` migrates before it serves unless SHOPGRAPH_MIGRATE_ON_START=false; then it refuses
a database with migrations pending, rather than serve on an old shape: a deploy that
migrates separately has skipped `shopgraph migrate`, or seen it fail.
"""

import logging

from shopgraph.migrations import (
    MIGRATIONS,
    Applied,
    Database,
    MigrationError,
    MigrationFailed,
    MigrationLockTimeout,
    MigrationRunner,
)
from shopgraph.settings import Settings

logger = logging.getLogger("shopgraph")


class MigrationsPending(MigrationError):
    pass


def migration_runner(settings: Settings, database: Database) -> MigrationRunner:
    return MigrationRunner(database, MIGRATIONS, wait_seconds=settings.migration_wait_seconds)


async def run_migrations(settings: Settings, database: Database) -> list[Applied]:
    """Applies the pending migrations, or waits for the process that does. Raises
    MigrationError; a failed migration's traceback goes to the log."""
    try:
        return await migration_runner(settings, database).run()
    except MigrationFailed as error:
        logger.error("%s", error, exc_info=error.__cause__)
        raise


async def migrate_at_start(settings: Settings, database: Database) -> None:
    if settings.migrate_on_start:
        await run_migrations(settings, database)
        return
    pending = await migration_runner(settings, database).pending()
    if pending:
        raise MigrationsPending(
            f"{len(pending)} migration{'s' if len(pending) > 1 else ''} pending "
            f"({', '.join(migration.id for migration in pending)}) and "
            "SHOPGRAPH_MIGRATE_ON_START=false: run `shopgraph migrate` first"
        )


def refusal(error: MigrationError) -> str:
    """What the command prints when migrating stopped it."""
    if isinstance(error, MigrationLockTimeout):
        return f"{error}; let it finish, or wait longer with SHOPGRAPH_MIGRATION_WAIT_SECONDS"
    if isinstance(error, MigrationFailed):
        return f"{error}; the migrations before it are applied, it and those after it are not"
    return str(error)
