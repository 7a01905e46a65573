"""Feeds the broker from MongoDB: one change stream on `products` per process.

The stream sees every write, from this process, other server processes, or any other
program. It is filtered to inserts, updates, replacements and deletes on the server;
which variants' stock changed is decided here, from `updateDescription` where MongoDB
reports it and by comparing with the last stock seen of each variant; a delete forgets
the product's last stock. After an error
the stream resumes from the last resume token. If the deployment cannot open change
streams at all, a warning is logged once and the feed falls back to the writes this
process makes itself (`StockChanges`).
"""

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

from bson import ObjectId
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from shopgraph.datasources.client import Datasources
from shopgraph.datasources.product_variants import VARIANT_STOCK, stored_variants
from shopgraph.documents import Document
from shopgraph.live.broker import StockBroker, StockChange

logger = logging.getLogger("shopgraph.live")

# "The $changeStream stage is only supported on replica sets" and its relatives.
UNSUPPORTED_CODES = {40573, 40324, 115, 303}
# InvalidResumeToken, ChangeStreamFatalError, ChangeStreamHistoryLost
TOKEN_REJECTED_CODES = {260, 280, 286}
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
# Top-level fields whose change is a change of stock.
STOCK_FIELDS = frozenset({"stock", VARIANT_STOCK})
# Between empty answers from a server that does not wait for changes: the most a change
# waits to be seen there, and at most 20 getMores a second.
IDLE_POLL_SECONDS = 0.05


class ProductWrites(Protocol):
    """Told of every product write the stream delivers, and of whether the stream is open
    (a write may go unseen while it is not: before it opens, between an error and its
    resumption, and for good when MongoDB cannot stream changes)."""

    def stream_opened(self) -> None: ...

    def stream_lost(self) -> None: ...

    def product_written(self, product_id: ObjectId | None) -> None: ...


class StockFeed:
    def __init__(self, datasources: Datasources, broker: StockBroker) -> None:
        self.datasources = datasources
        self.broker = broker
        self.product_writes: list[ProductWrites] = []  # e.g. the response cache
        self.last_stock: dict[ObjectId, dict[ObjectId, int]] = {}  # per product, per variant
        self.fallback = False
        self.started = asyncio.Event()  # set once the stream is open (or fallen back)
        self._stopping = False

    def stop(self) -> None:
        """Ends `run` at its next step, even if a cancellation got lost in the driver."""
        self._stopping = True

    async def run(self) -> None:
        resume_token: Mapping[str, Any] | None = None
        failures = 0
        while not self._stopping:
            try:
                if resume_token is None:
                    await self._remember_every_stock()
                async with await self.datasources.products.watch_writes(resume_token) as stream:
                    self._tell_opened()
                    self.started.set()
                    failures = 0
                    while stream.alive and not self._stopping:
                        asked = time.monotonic()
                        change = await stream.try_next()
                        resume_token = stream.resume_token
                        if change is None:
                            await self._pause_if_answered_at_once(asked)
                            continue
                        self._tell_written(change)
                        try:
                            await self._consider(change)
                        except PyMongoError:
                            raise
                        except Exception:  # one odd document must not stop the feed
                            logger.exception("could not publish stock change %r", change.get("_id"))
            except OperationFailure as error:
                if error.code in UNSUPPORTED_CODES:
                    self._fall_back(error)
                    return
                resume_token = self._after_failure(error, resume_token, failures)
            except PyMongoError as error:
                resume_token = self._after_failure(error, resume_token, failures)
            finally:
                self._tell_lost()
            failures += 1
            await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])

    def _tell_opened(self) -> None:
        for watcher in self.product_writes:
            watcher.stream_opened()

    def _tell_lost(self) -> None:
        for watcher in self.product_writes:
            watcher.stream_lost()

    def _tell_written(self, change: Mapping[str, Any]) -> None:
        product_id = (change.get("documentKey") or {}).get("_id")
        for watcher in self.product_writes:
            watcher.product_written(product_id if isinstance(product_id, ObjectId) else None)

    async def _remember_every_stock(self) -> None:
        """The stock of every variant as it is before the stream opens, so the first change
        of a product tells which of its variants changed (where MongoDB does not say which
        fields an update changed, as the embedded server does not). A change made between
        this read and the stream's start shows as a change of its variant at the next one."""
        async for product in self.datasources.products.every_stock():
            self.last_stock[product["_id"]] = _variant_stocks(product)

    @staticmethod
    async def _pause_if_answered_at_once(asked: float) -> None:
        """MongoDB holds an empty `getMore` open until a change arrives or about a second
        passes; a server that answers it at once (the embedded one) would otherwise be
        polled in a tight loop, keeping a core busy on an idle store."""
        if time.monotonic() - asked < IDLE_POLL_SECONDS:
            await asyncio.sleep(IDLE_POLL_SECONDS)

    def _after_failure(
        self, error: PyMongoError, token: Mapping[str, Any] | None, failures: int
    ) -> Mapping[str, Any] | None:
        """The token to resume from: kept while MongoDB is merely unreachable, so changes
        made during an outage are still delivered; dropped once the server rejects it."""
        if failures == 0:
            logger.warning("stock change stream interrupted (%s); resuming", error)
        if isinstance(error, ConnectionFailure):
            return token
        if isinstance(error, OperationFailure) and error.code in TOKEN_REJECTED_CODES:
            return None
        return token if failures < 2 else None

    def _fall_back(self, error: OperationFailure) -> None:
        logger.warning(
            "MongoDB cannot stream changes (%s): live stock sees only this process's writes",
            error.details.get("errmsg") if error.details else error,
        )
        self.fallback = True
        self.datasources.stock_changes.listen(self._publish, self._forget)
        self.started.set()

    async def _consider(self, change: Mapping[str, Any]) -> None:
        product_id = (change.get("documentKey") or {}).get("_id")
        if not isinstance(product_id, ObjectId):
            return
        if change.get("operationType") == "delete":
            self._forget(product_id)
            return
        updated = (change.get("updateDescription") or {}).get("updatedFields")
        if updated is not None and not any(
            name.split(".", 1)[0] in STOCK_FIELDS for name in updated
        ):
            return  # MongoDB says the stock did not change
        product = change.get("fullDocument")
        if not product or product.get("_id") != product_id:
            # The post-image is missing or not in BSON types (the embedded server sends
            # its own encoding): read the product instead.
            product = await self.datasources.products.current(product_id)
        if product is not None:
            self._publish(product)

    def _forget(self, product_id: ObjectId) -> None:
        self.last_stock.pop(product_id, None)  # remembered only for products that exist

    def _publish(self, product: Document) -> None:
        """One change per variant whose stock is not the one last seen."""
        if not isinstance(product.get("stock"), int):
            return
        stocks = _variant_stocks(product)
        last = self.last_stock.get(product["_id"])
        if last == stocks:
            return
        self.last_stock[product["_id"]] = stocks
        for variant_id, stock in stocks.items():
            if last is None or last.get(variant_id) != stock:
                self.broker.publish(StockChange(product["_id"], variant_id, product))


def _variant_stocks(product: Document) -> dict[ObjectId, int]:
    return {variant.id: variant.stock for variant in stored_variants(product)}
