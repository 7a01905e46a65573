"""What a migration is: a number, a name and an idempotent `apply(database)`.

A migration works on the raw database through the driver, never through the datasources
or the domain: those follow the code of today, a migration the shape of the day it was
written, and it must keep working when they change.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType

from pymongo.asynchronous.database import AsyncDatabase

from shopgraph.documents import Document

Database = AsyncDatabase[Document]
Apply = Callable[[Database], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Migration:
    """`apply` must be idempotent: a migrator that dies half-way leaves the migration
    unrecorded, and the next one runs it again from the start."""

    number: int
    name: str
    apply: Apply

    @property
    def id(self) -> str:
        """What the `migrations` collection records it under, e.g. `0001-default-variants`."""
        return f"{self.number:04d}-{self.name}"

    @classmethod
    def of(cls, module: ModuleType) -> "Migration":
        """A migration module defines NUMBER, NAME and `async def apply(database)`."""
        return cls(int(module.NUMBER), str(module.NAME), module.apply)
