"""Numbered, idempotent changes to stored documents, applied once per database.

`MIGRATIONS` lists them in order. To add one, write `mNNNN_what_it_does.py` with the next
number (NUMBER, NAME, a docstring saying why, `async def apply(database)` that can run
twice) and append it here; `shopgraph migrate` and `shopgraph serve` apply it.
"""

from shopgraph.migrations import m0001_default_variants
from shopgraph.migrations.lock import MigrationError, MigrationLockLost, MigrationLockTimeout
from shopgraph.migrations.migration import Database, Migration
from shopgraph.migrations.runner import Applied, MigrationFailed, MigrationRunner

MIGRATIONS: tuple[Migration, ...] = (Migration.of(m0001_default_variants),)

__all__ = [
    "MIGRATIONS",
    "Applied",
    "Database",
    "Migration",
    "MigrationError",
    "MigrationFailed",
    "MigrationLockLost",
    "MigrationLockTimeout",
    "MigrationRunner",
]
