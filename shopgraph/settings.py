"""Settings from environment variables (and `.env`); defaults serve development."""

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class Settings(BaseSettings):
    """Every knob of the server. Env prefix `SHOPGRAPH_`, except the three noted."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPGRAPH_", env_file=".env", extra="ignore", populate_by_name=True
    )

    environment: Environment = Environment.DEVELOPMENT
    mongodb_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("MONGODB_URI", "SHOPGRAPH_MONGODB_URI")
    )
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("HOST", "SHOPGRAPH_HOST"))
    port: int = Field(
        default=8000, ge=0, le=65535, validation_alias=AliasChoices("PORT", "SHOPGRAPH_PORT")
    )
    db_name: str = Field(default="shopgraph", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    data_dir: Path = Path(".data")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    cors_origins: Annotated[list[str], NoDecode] = []
    graphiql: bool | None = None
    graphiql_assets_dir: Path = PROJECT_ROOT / "graphiql" / "node_modules"
    storefront: bool | None = None  # the built storefront at /; None: on in development only
    storefront_dir: Path = PROJECT_ROOT / "storefront" / "dist"  # `npm run build`'s output
    max_page_size: int = Field(default=100, ge=1, le=1000)
    default_page_size: int = Field(default=20, ge=1)
    max_query_depth: int = Field(default=10, ge=1)
    max_aliases: int = Field(default=30, ge=1)
    max_tokens: int = Field(default=2000, ge=10)
    max_body_bytes: int = Field(default=100_000, ge=1024)  # a WebSocket message's limit too
    max_query_cost: int = Field(default=10_000, ge=1)
    introspection: bool | None = None  # None: on in development, off in production
    trusted_proxies: Annotated[list[str], NoDecode] = []  # peers whose X-Forwarded-For counts
    mongodb_timeout_ms: int = Field(default=5000, ge=100)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)
    log_level: str = "INFO"

    # Processes (docs/operations/processes.md)
    workers: int = Field(default=1, ge=1, le=64)  # server processes `serve` runs on one port
    shutdown_seconds: int = Field(default=20, ge=1)  # on SIGTERM: in-flight work's deadline

    # Execution (docs/performance.md): plain objects completed through per-request plans
    execution_plans: bool = True

    # Migrations (README: Migrations)
    migrate_on_start: bool = True  # `serve` applies pending migrations before serving
    migration_wait_seconds: float = Field(default=600.0, gt=0)  # while another one migrates

    # Accounts and tokens
    jwt_secret: SecretStr | None = None
    jwt_secret_file: Path | None = None  # a file holding it (a Docker or Kubernetes secret)
    jwt_issuer: str = "shopgraph"
    jwt_audience: str = "shopgraph-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    password_hashing_concurrency: int = Field(default=2, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    login_client_max_failures: int = Field(default=20, ge=1)  # per client address, any email
    password_hashing_queue: int = Field(default=8, ge=0)  # waiting hashes beyond the running
    password_checks_per_client: int = Field(default=2, ge=1)  # running at once, per process
    password_hashing_nice: int = Field(default=19, ge=0, le=19)  # hashing threads' priority
    session_max_days: int = Field(default=90, ge=1)  # however often a session rotates
    password_reset_minutes: int = Field(default=60, ge=1)
    email_verification_hours: int = Field(default=48, ge=1)
    # register answers alike for new and taken emails, and login waits for verification
    registration_requires_verification: bool = False
    admin_password: SecretStr | None = None  # for `shopgraph create-admin`

    # Carts and checkout
    cart_days: int = Field(default=30, ge=1, le=365)  # an untouched cart is deleted after this
    prices_include_tax: bool = False  # prices, shipping included, already contain the tax

    # Product images (docs/api/images.md, docs/operations/media.md)
    max_image_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)  # one uploaded file
    max_image_pixels: int = Field(default=25_000_000, ge=1)  # width x height, read before decoding
    image_work_concurrency: int = Field(default=2, ge=1)  # decodes and resizes at once, per process
    media_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)  # renditions kept in memory
    media_lookup_cache_seconds: float = Field(default=10.0, ge=0)  # image records, likewise
    media_base_url: str = ""  # e.g. a CDN's "https://cdn.example.com"; empty: "/media/..." paths

    # Orders, payments and email
    order_hold_minutes: int = Field(default=15, ge=1)
    max_pending_orders: int = Field(default=3, ge=1)  # unpaid orders per customer
    max_line_quantity: int = Field(default=100, ge=1, le=1000)
    max_held_units: int = Field(default=200, ge=1)  # units in one customer's unpaid orders
    order_sweep_seconds: float = Field(default=30.0, gt=0)
    # The sweep leaves work younger than this alone: a live request may still be doing it.
    order_sweep_grace_seconds: float = Field(default=120.0, gt=0)
    # One process sweeps at a time, holding a lease this long (None: 3 sweep intervals).
    order_sweep_lease_seconds: float | None = Field(default=None, gt=0)
    stock_transactions: bool | None = None  # None: use them when MongoDB is a replica set
    payment_gateway: str = Field(default="test", pattern=r"^test$")
    allow_test_gateway: bool = False  # in production
    mail_from: str = "Shopgraph <orders@shopgraph.local>"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: str = Field(default="starttls", pattern=r"^(none|starttls|tls)$")
    mail_poll_seconds: float = Field(default=2.0, gt=0)
    mail_max_attempts: int = Field(default=8, ge=1)
    background_tasks: bool = True  # the order sweep and the mailer

    # Live stock over WebSocket
    max_subscriptions_per_connection: int = Field(default=20, ge=1)
    max_ws_per_client: int = Field(default=20, ge=1)  # open WebSockets per client address
    ws_connection_init_timeout_seconds: float = Field(default=10.0, gt=0)
    ws_keep_alive_seconds: float = Field(default=15.0, gt=0)
    live_buffer_products: int = Field(default=1000, ge=1)
    # Compressing costs each socket its own zlib state (about 37 KB measured) and each
    # shared payload one compression per socket: off unless asked for.
    ws_per_message_deflate: bool = False

    # Anonymous catalog answers kept in memory (docs/operations/response-cache.md)
    response_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)  # 0: no cache
    response_cache_entry_bytes: int = Field(default=256 * 1024, ge=1024)  # larger: not kept
    response_cache_max_age_seconds: int = Field(default=0, ge=0, le=3600)  # for CDNs; 0: revalidate

    # Logs and metrics (docs/operations/observability.md)
    log_format: LogFormat | None = None  # None: text in development, json in production
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # /metrics only there
    metrics_host: str = "127.0.0.1"  # the interface of the metrics port
    metrics_refresh_seconds: float = Field(default=15.0, gt=0)  # counts read from MongoDB
    metrics_max_operations: int = Field(default=200, ge=1)  # operation names per process

    # Traces, sent when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/operations/tracing.md). Root fields
    # always get a span; a resolver below them that waits, with this probability...
    trace_resolver_ratio: float = Field(default=0.1, ge=0, le=1)
    trace_resolver_limit: int = Field(default=50, ge=0)  # ...up to this many per operation

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        """Accept a comma-separated env var as well as a list."""
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        """Addresses or CIDR networks; a typo must fail at start-up, not trust nobody."""
        for network in value:
            ipaddress.ip_network(network, strict=False)
        return value

    @model_validator(mode="after")
    def _default_page_fits(self) -> "Settings":
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self

    @property
    def graphiql_enabled(self) -> bool:
        """GraphiQL is on in development and off in production unless asked for."""
        if self.graphiql is not None:
            return self.graphiql
        return self.environment is Environment.DEVELOPMENT

    @property
    def storefront_enabled(self) -> bool:
        """The storefront is served at / in development and off in production unless asked for."""
        if self.storefront is not None:
            return self.storefront
        return self.environment is Environment.DEVELOPMENT

    @property
    def introspection_enabled(self) -> bool:
        """Introspection is on in development and off in production unless asked for."""
        if self.introspection is not None:
            return self.introspection
        return self.environment is Environment.DEVELOPMENT

    @property
    def log_format_in_use(self) -> LogFormat:
        """Text for a developer's terminal, JSON lines for a production log collector."""
        if self.log_format is not None:
            return self.log_format
        return LogFormat.JSON if self.is_production else LogFormat.TEXT

    @property
    def metrics_on_public_port(self) -> bool:
        """/metrics beside /graphql: in development only, and only without a metrics port."""
        return self.metrics_port is None and not self.is_production

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def sweep_lease_seconds(self) -> float:
        """How long the sweeping process's lease lasts unless renewed: long enough to
        outlive the pause between two of its passes."""
        if self.order_sweep_lease_seconds is not None:
            return self.order_sweep_lease_seconds
        return 3 * self.order_sweep_seconds

    @field_validator("media_base_url")
    @classmethod
    def _base_url_without_slash(cls, value: str) -> str:
        """Image URLs are this followed by "/media/..."; a final slash would double it."""
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://", "/")):
            raise ValueError("media_base_url must start with http://, https:// or /")
        return value

    @property
    def max_upload_body_bytes(self) -> int:
        """A multipart request's body: one image and the operation beside it."""
        return self.max_image_bytes + self.max_body_bytes

    @property
    def outbox_dir(self) -> Path:
        """Where confirmation emails are written when no SMTP server is configured."""
        return self.data_dir / "outbox"

    @property
    def embedded_db_path(self) -> Path:
        return self.data_dir / "mongodb.sqlite"
