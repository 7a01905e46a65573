"""Every domain service of a process, built once from settings and shared by requests,
the CLI and background tasks."""

from dataclasses import dataclass
from datetime import timedelta

from shopgraph.auth.account_mail import AccountMail
from shopgraph.auth.accounts import Accounts
from shopgraph.auth.checks_in_flight import ChecksInFlight
from shopgraph.auth.passwords import Passwords
from shopgraph.auth.recovery import Recovery
from shopgraph.auth.session_ends import SessionEnds
from shopgraph.auth.sessions import Sessions
from shopgraph.auth.throttle import PasswordThrottle
from shopgraph.auth.tokens import AccessTokens, accepted_for
from shopgraph.catalog.image_files import ImageLimits
from shopgraph.catalog.image_storage import ImageStorage
from shopgraph.catalog.image_work import ImageWork
from shopgraph.catalog.images import ProductImages
from shopgraph.catalog.media import MediaLibrary
from shopgraph.catalog.products import Catalog
from shopgraph.catalog.recent_images import RecentImages
from shopgraph.catalog.rendition_cache import RenditionCache
from shopgraph.catalog.sku_claims import SkuClaims
from shopgraph.catalog.variants import Variants
from shopgraph.checkout.address_book import AddressBook
from shopgraph.checkout.cart_lines import MAX_CART_LINES, CartLimits
from shopgraph.checkout.cart_pricing import CartPricing
from shopgraph.checkout.carts import Carts
from shopgraph.checkout.completing import CartCheckout
from shopgraph.checkout.deps import Checkout, OrderLimits
from shopgraph.checkout.discount_codes import DiscountCodes
from shopgraph.checkout.discount_uses import DiscountUses
from shopgraph.checkout.order_events import NoOrderEvents, OrderEvents
from shopgraph.checkout.orders import Orders
from shopgraph.checkout.shipping_methods import ShippingMethods
from shopgraph.checkout.tax_rates import TaxRates
from shopgraph.datasources.client import Datasources
from shopgraph.integrations.payments import PaymentGateway
from shopgraph.settings import Settings


def password_throttle(settings: Settings, datasources: Datasources) -> PasswordThrottle:
    """An email's failures from all clients together may reach what
    `login_client_max_failures` clients using their whole allowance would make. Build one
    per process: it holds the checks each client address has running."""
    return PasswordThrottle(
        datasources.login_attempts,
        max_failures=settings.login_max_failures,
        client_max_failures=settings.login_client_max_failures,
        email_max_failures=settings.login_max_failures * settings.login_client_max_failures,
        window=timedelta(seconds=settings.login_window_seconds),
        in_flight=ChecksInFlight(settings.password_checks_per_client),
    )


def session_ends(settings: Settings, datasources: Datasources) -> SessionEnds:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    return SessionEnds(datasources.users, datasources.refresh_tokens, accepted_for(lifetime))


def accounts_service(
    settings: Settings, datasources: Datasources, passwords: Passwords
) -> Accounts:
    """Needs no JWT secret: the CLI makes admins with it before any server has one. Holds
    the process's one throttle and one `SessionEnds`, which the other services share."""
    return Accounts(
        datasources.users,
        passwords,
        password_throttle(settings, datasources),
        session_ends(settings, datasources),
    )


def recovery_service(settings: Settings, datasources: Datasources, accounts: Accounts) -> Recovery:
    return Recovery(
        datasources.users,
        datasources.account_tokens,
        AccountMail(datasources.outbox, datasources.mail_quota, settings.mail_from),
        accounts.passwords,
        accounts.throttle,
        accounts.session_ends,
        reset_lifetime=timedelta(minutes=settings.password_reset_minutes),
        verification_lifetime=timedelta(hours=settings.email_verification_hours),
    )


def image_storage(datasources: Datasources, lookup_seconds: float = 0.0) -> ImageStorage:
    """`lookup_seconds`: how long image records read for serving are kept (RecentImages)."""
    return ImageStorage(
        datasources.product_images,
        datasources.variant_images,
        datasources.media_blobs,
        RecentImages(lookup_seconds),
    )


def catalog_service(
    settings: Settings, datasources: Datasources, storage: ImageStorage | None = None
) -> Catalog:
    claims = SkuClaims(datasources.skus, datasources.products)
    return Catalog(
        datasources.products,
        datasources.stock_movements,
        claims,
        settings.currency,
        storage or image_storage(datasources),
    )


def images_service(
    settings: Settings,
    datasources: Datasources,
    work: ImageWork,
    storage: ImageStorage | None = None,
) -> ProductImages:
    """`work`: the process's one bound on image decoding (see ImageWork)."""
    limits = ImageLimits(settings.max_image_bytes, settings.max_image_pixels)
    storage = storage or image_storage(datasources)
    return ProductImages(storage, datasources.products, work, limits)


def variants_service(settings: Settings, datasources: Datasources) -> Variants:
    claims = SkuClaims(datasources.skus, datasources.products)
    return Variants(datasources.products, datasources.stock_movements, claims, settings.currency)


@dataclass(frozen=True, slots=True)
class Services:
    sessions: Sessions
    accounts: Accounts
    recovery: Recovery
    catalog: Catalog
    variants: Variants
    orders: Orders
    shipping_methods: ShippingMethods
    tax_rates: TaxRates
    address_book: AddressBook
    discount_codes: DiscountCodes
    discount_uses: DiscountUses
    carts: Carts
    cart_pricing: CartPricing
    cart_checkout: CartCheckout
    images: ProductImages
    media: MediaLibrary

    @classmethod
    def build(
        cls,
        settings: Settings,
        datasources: Datasources,
        passwords: Passwords,
        tokens: AccessTokens,
        gateway: PaymentGateway,
        transactions: bool,
        order_events: OrderEvents | None = None,
    ) -> "Services":
        """`transactions`: whether MongoDB can run multi-document transactions;
        `order_events`: who hears of orders placed, paid and cancelled."""
        checkout = Checkout(
            datasources=datasources,
            gateway=gateway,
            currency=settings.currency,
            hold=timedelta(minutes=settings.order_hold_minutes),
            transactions=transactions,
            mail_from=settings.mail_from,
            limits=OrderLimits(
                settings.max_pending_orders, settings.max_line_quantity, settings.max_held_units
            ),
            events=order_events or NoOrderEvents(),
            grace=timedelta(seconds=settings.order_sweep_grace_seconds),
        )
        accounts = accounts_service(settings, datasources, passwords)
        recovery = recovery_service(settings, datasources, accounts)
        discount_uses = DiscountUses(datasources.discount_uses)
        orders = Orders(checkout)
        shipping_methods = ShippingMethods(datasources.shipping_methods, settings.currency)
        discount_codes = DiscountCodes(datasources.discount_codes, discount_uses, settings.currency)
        carts = Carts(
            datasources.carts,
            datasources.products,
            CartLimits(MAX_CART_LINES, settings.max_line_quantity),
            timedelta(days=settings.cart_days),
        )
        pricing = CartPricing(
            datasources.products,
            shipping_methods,
            TaxRates(datasources.tax_rates),
            discount_codes,
            discount_uses,
            settings.currency,
            settings.prices_include_tax,
        )
        image_work = ImageWork(settings.image_work_concurrency)
        storage = image_storage(datasources, settings.media_lookup_cache_seconds)
        return cls(
            sessions=Sessions(
                datasources.users,
                datasources.refresh_tokens,
                passwords,
                tokens,
                accounts.throttle,
                accounts.session_ends,
                timedelta(days=settings.refresh_token_days),
                timedelta(days=settings.session_max_days),
                recovery,
                settings.registration_requires_verification,
            ),
            accounts=accounts,
            recovery=recovery,
            catalog=catalog_service(settings, datasources, storage),
            variants=variants_service(settings, datasources),
            orders=orders,
            shipping_methods=shipping_methods,
            tax_rates=pricing.tax_rates,
            address_book=AddressBook(datasources.address_books),
            discount_codes=discount_codes,
            discount_uses=discount_uses,
            carts=carts,
            cart_pricing=pricing,
            cart_checkout=CartCheckout(
                carts, pricing, shipping_methods, discount_codes, discount_uses, orders
            ),
            images=images_service(settings, datasources, image_work, storage),
            media=MediaLibrary(storage, image_work, RenditionCache(settings.media_cache_bytes)),
        )
