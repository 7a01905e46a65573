"""The MongoDB client, and the datasources that share it."""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from pymongo.monitoring import CommandListener

from shopgraph.datasources.keyset import Document
from shopgraph.datasources.products import ProductsDatasource


def connect(
    uri: str, *, timeout_ms: int, listeners: Sequence[CommandListener] = ()
) -> AsyncMongoClient[Document]:
    """A client that fails fast when MongoDB is gone instead of hanging requests."""
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname="shopgraph",
        event_listeners=list(listeners),
    )


@dataclass(frozen=True, slots=True)
class Datasources:
    """Every collection's datasource, built once per process and shared by requests."""

    database: AsyncDatabase[Document]
    products: ProductsDatasource

    @classmethod
    def for_database(cls, database: AsyncDatabase[Document]) -> "Datasources":
        return cls(database=database, products=ProductsDatasource(database["products"]))

    async def ensure_indexes(self) -> None:
        await self.products.ensure_indexes()

    async def is_reachable(self, timeout_seconds: float) -> bool:
        try:
            async with asyncio.timeout(timeout_seconds):
                await self.database.command("ping")
        except (PyMongoError, TimeoutError):
            return False
        return True
