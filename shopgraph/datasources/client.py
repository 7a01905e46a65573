"""The MongoDB client, and the datasources that share it."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from pymongo.monitoring import CommandListener

from shopgraph.datasources.account_tokens import AccountTokensDatasource
from shopgraph.datasources.address_books import AddressBooksDatasource
from shopgraph.datasources.base import Session, StockChanges
from shopgraph.datasources.carts import CartsDatasource
from shopgraph.datasources.counters import CountersDatasource
from shopgraph.datasources.discount_codes import DiscountCodesDatasource
from shopgraph.datasources.discount_uses import DiscountUsesDatasource
from shopgraph.datasources.leases import LeasesDatasource
from shopgraph.datasources.login_attempts import LoginAttemptsDatasource
from shopgraph.datasources.mail_quota import MailQuotaDatasource
from shopgraph.datasources.media_blobs import MediaBlobs
from shopgraph.datasources.orders import OrdersDatasource
from shopgraph.datasources.outbox import OutboxDatasource
from shopgraph.datasources.product_images import ProductImagesDatasource
from shopgraph.datasources.products import ProductsDatasource
from shopgraph.datasources.refresh_tokens import RefreshTokensDatasource
from shopgraph.datasources.shipping_methods import ShippingMethodsDatasource
from shopgraph.datasources.skus import SkusDatasource
from shopgraph.datasources.stock_holds import StockHoldsDatasource
from shopgraph.datasources.stock_movements import StockMovementsDatasource
from shopgraph.datasources.stray_charges import StrayChargesDatasource
from shopgraph.datasources.tax_rates import TaxRatesDatasource
from shopgraph.datasources.users import UsersDatasource
from shopgraph.datasources.variant_images import VariantImagesDatasource
from shopgraph.documents import Document


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
    users: UsersDatasource
    refresh_tokens: RefreshTokensDatasource
    login_attempts: LoginAttemptsDatasource
    stock_movements: StockMovementsDatasource
    stock_holds: StockHoldsDatasource
    orders: OrdersDatasource
    counters: CountersDatasource
    outbox: OutboxDatasource
    stray_charges: StrayChargesDatasource
    account_tokens: AccountTokensDatasource
    mail_quota: MailQuotaDatasource
    skus: SkusDatasource
    stock_changes: StockChanges
    leases: LeasesDatasource
    shipping_methods: ShippingMethodsDatasource
    tax_rates: TaxRatesDatasource
    address_books: AddressBooksDatasource
    discount_codes: DiscountCodesDatasource
    discount_uses: DiscountUsesDatasource
    carts: CartsDatasource
    product_images: ProductImagesDatasource
    variant_images: VariantImagesDatasource
    media_blobs: MediaBlobs

    @classmethod
    def for_database(cls, database: AsyncDatabase[Document]) -> "Datasources":
        stock_changes = StockChanges()
        return cls(
            database=database,
            products=ProductsDatasource(database["products"], stock_changes),
            users=UsersDatasource(database["users"]),
            refresh_tokens=RefreshTokensDatasource(database["refresh_tokens"]),
            login_attempts=LoginAttemptsDatasource(database["login_attempts"]),
            stock_movements=StockMovementsDatasource(database["stock_movements"]),
            stock_holds=StockHoldsDatasource(database["products"], stock_changes),
            orders=OrdersDatasource(database["orders"]),
            counters=CountersDatasource(database["counters"]),
            outbox=OutboxDatasource(database["outbox"]),
            stray_charges=StrayChargesDatasource(database["stray_charges"]),
            account_tokens=AccountTokensDatasource(database["account_tokens"]),
            mail_quota=MailQuotaDatasource(database["mail_quota"]),
            skus=SkusDatasource(database["skus"]),
            stock_changes=stock_changes,
            leases=LeasesDatasource(database["leases"]),
            shipping_methods=ShippingMethodsDatasource(database["shipping_methods"]),
            tax_rates=TaxRatesDatasource(database["tax_rates"]),
            address_books=AddressBooksDatasource(database["address_books"]),
            discount_codes=DiscountCodesDatasource(database["discount_codes"]),
            discount_uses=DiscountUsesDatasource(database["discount_uses"]),
            carts=CartsDatasource(database["carts"]),
            product_images=ProductImagesDatasource(database["product_images"]),
            variant_images=VariantImagesDatasource(database["variant_images"]),
            media_blobs=MediaBlobs(database),
        )

    async def ensure_indexes(self) -> None:
        for datasource in (
            self.products,
            self.users,
            self.refresh_tokens,
            self.login_attempts,
            self.stock_movements,
            self.orders,
            self.outbox,
            self.stray_charges,
            self.account_tokens,
            self.mail_quota,
            self.skus,
            self.shipping_methods,
            self.tax_rates,
            self.address_books,
            self.discount_codes,
            self.discount_uses,
            self.carts,
            self.product_images,
            self.variant_images,
        ):
            await datasource.ensure_indexes()

    async def in_transaction(self, work: Callable[[Session], Awaitable[None]]) -> None:
        """Runs `work` in one multi-document transaction, retried on transient write
        conflicts; `work` passes the session to each datasource call it makes."""
        async with self.database.client.start_session() as session:
            await session.with_transaction(work)

    async def supports_transactions(self) -> bool:
        """Multi-document transactions need a replica set (or a sharded cluster)."""
        hello = await self.database.command("hello")
        return bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"

    async def is_reachable(self, timeout_seconds: float) -> bool:
        try:
            async with asyncio.timeout(timeout_seconds):
                await self.database.command("ping")
        except (PyMongoError, TimeoutError):
            return False
        return True
