"""SQLAlchemy 2 models: the whole schema in one place.

Tables owned by a customer account (``TenantOwned``) carry a NOT NULL ``account_id``; queries
against them go through :mod:`zentail.storage.tenancy`. Credentials are stored as keyed
digests (``digest`` columns), never in the clear.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest value an ``Integer`` key column holds on every backend (PostgreSQL's int4).
# Edges bound incoming ids by it, so an absurd id is a 4xx, never a database error.
MAX_ROW_ID = 2_147_483_647


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a zone")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


class TenantOwned:
    """Mixin for rows that belong to exactly one customer account."""

    @declared_attr
    def account_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr convention
        return mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)


class ShownByCachedReads:
    """Mixin for rows that the fast lane's cached bodies show (:mod:`zentail.response_cache`):
    a bulk statement on them, whose rows the unit of work cannot see, moves every account's
    data generation (:class:`zentail.storage.database.Database`)."""


# --- identity ---------------------------------------------------------------------------


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    last_order_number: Mapped[int] = mapped_column(BigInteger, default=10_000_000)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Partner(Base):
    """A partner organisation: it owns apps, and its developers log in to the developer
    console."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person who logs in to the platform: staff (no account), an account admin/member,
    or a partner's developer (``partner_id`` set, no account)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # staff | admin | member | developer
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), index=True
    )
    # Unused since migration 0004 (lockouts live in LoginFailures); kept one release so that
    # nodes of the previous release keep working during a rolling upgrade.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None]
    # Part of every web session; bumping it (logout) ends all of the user's sessions at once.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    account: Mapped[Account | None] = relationship()
    partner: Mapped[Partner | None] = relationship()


class LoginFailures(Base):
    """Consecutive failed logins for one e-mail address, known or not (so that the answers
    for an existing and an unknown address cannot be told apart), keyed by its digest."""

    __tablename__ = "login_failures"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None]
    last_failure_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


# --- the app registry ---------------------------------------------------------------------


class App(Base):
    """A registered partner application (an OAuth 2.0 confidential client)."""

    __tablename__ = "apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact_email: Mapped[str] = mapped_column(String(320))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[str] = mapped_column(String(1000))  # space-separated, RFC 6749 §3.3
    description: Mapped[str] = mapped_column(Text, default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_content_type: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | suspended
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True
    )
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Opt-in expiring tokens (docs/decisions/0065): access tokens live this many seconds and
    # come with a rotating refresh token; ``None`` keeps the documented long-lived token.
    token_lifetime_seconds: Mapped[int | None] = mapped_column(Integer)
    # private_key_jwt (RFC 7523 §2.2): the app's public keys, as a JWKS document or its URL.
    jwks: Mapped[str | None] = mapped_column(Text)
    jwks_uri: Mapped[str | None] = mapped_column(String(2000))
    # False: only signed assertions authenticate the app; its secrets no longer do.
    secrets_accepted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    secrets: Mapped[list[AppSecret]] = relationship(
        back_populates="app", cascade="all, delete-orphan", order_by="AppSecret.id"
    )
    partner: Mapped[Partner | None] = relationship()


class ScopeChangeRequest(Base):
    """A developer's request to change an app's scopes; staff approve or decline it."""

    __tablename__ = "scope_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # |approved|declined
    requested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[dt.datetime | None]

    app: Mapped[App] = relationship()


class WebhookDelivery(Base):
    """One event for one app in the outbox, written in the transaction of the change it
    reports, and the state of its delivery (at least once, retried with backoff).

    ``body`` holds the exact bytes that are signed and sent. A node claims a due delivery by
    an atomic conditional ``UPDATE`` that sets ``lease_until`` and a fresh ``claim_token``;
    only the holder of that token records the attempt's outcome.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # |delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    app: Mapped[App] = relationship()


class AppSecret(Base):
    """One client secret. Two may be valid at once during a rotation's grace period."""

    __tablename__ = "app_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]

    app: Mapped[App] = relationship(back_populates="secrets")


# --- installs, codes and tokens -----------------------------------------------------------


class Installation(TenantOwned, Base):
    """An app installed on an account. One row per (app, account); reinstalling reuses it."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("app_id", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(String(1000))
    installed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    installed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uninstalled_at: Mapped[dt.datetime | None]

    app: Mapped[App] = relationship()
    installed_by: Mapped[User | None] = relationship()


class AuthorizationCode(TenantOwned, Base):
    """A one-time code bound to (app, account, redirect URI, scopes); RFC 6749 §4.1.2."""

    __tablename__ = "authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[str] = mapped_column(String(1000))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    consumed_at: Mapped[dt.datetime | None]


class AccessToken(TenantOwned, Base):
    """A bearer token bound to one account: an install token or an ad-hoc account token."""

    __tablename__ = "access_tokens"
    __table_args__ = (
        # One live token per installation, held by the database itself: concurrent exchanges
        # for one installation cannot both leave a token behind (the loser retries).
        Index(
            "uq_access_tokens_live_installation",
            "installation_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL AND installation_id IS NOT NULL"),
            postgresql_where=text("revoked_at IS NULL AND installation_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # install | account
    app_id: Mapped[int | None] = mapped_column(
        ForeignKey("apps.id", ondelete="CASCADE"), index=True
    )
    installation_id: Mapped[int | None] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorization_codes.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(200))
    scopes: Mapped[str] = mapped_column(String(1000))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    app: Mapped[App | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class RefreshToken(TenantOwned, Base):
    """A one-time refresh token (RFC 6749 §6, rotated as RFC 9700 §4.14.2 says), stored as
    its keyed digest.

    ``family`` names every refresh token descended from one code exchange; ``parent_id`` is
    the token whose redemption issued this one, ``access_token_id`` the access token issued
    beside it. ``rotated_at`` is set when the token is first redeemed; it then stays usable
    only while neither of its successors has been used (docs/decisions/0065).
    """

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    family: Mapped[str] = mapped_column(String(32), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("refresh_tokens.id", ondelete="SET NULL"), index=True
    )
    access_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("access_tokens.id", ondelete="SET NULL"), index=True
    )
    scopes: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    rotated_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class AuditEvent(Base):
    """An append-only record of a security-relevant action. Never holds a credential."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    app_id: Mapped[int | None] = mapped_column(
        ForeignKey("apps.id", ondelete="SET NULL"), index=True
    )
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TokenFailure(Base):
    """A refused ``POST /v1/token`` that named an existing client, with the stable reason its
    owner may read (``GET /v1/diagnostics/token``). Never holds a code, secret or token;
    kept for :data:`zentail.domain.diagnostics.RETENTION`."""

    __tablename__ = "token_failures"
    __table_args__ = (Index("ix_token_failures_app_at", "app_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    error: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(40))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- the Open API's resources -------------------------------------------------------------


class SalesOrder(TenantOwned, ShownByCachedReads, Base):
    __tablename__ = "sales_orders"
    __table_args__ = (
        UniqueConstraint("account_id", "order_number"),
        Index("ix_sales_orders_account_updated", "account_id", "last_updated_ts", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_number: Mapped[int] = mapped_column(BigInteger)
    channel_order_id: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(32))
    order_ts: Mapped[dt.datetime]
    last_updated_ts: Mapped[dt.datetime] = mapped_column(default=utcnow)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reseller_commission: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    created_by_app_id: Mapped[int | None] = mapped_column(
        ForeignKey("apps.id", ondelete="SET NULL")
    )

    items: Mapped[list[SalesOrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="SalesOrderItem.id"
    )
    packages: Mapped[list[Package]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Package.id"
    )


class SalesOrderItem(TenantOwned, ShownByCachedReads, Base):
    __tablename__ = "sales_order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sales_orders.id", ondelete="CASCADE"), index=True
    )
    line_item_id: Mapped[int] = mapped_column(Integer)
    requested_sku: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    cancel_quantity: Mapped[int] = mapped_column(Integer, default=0)
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0)
    warehouse_id: Mapped[int | None] = mapped_column(Integer)

    order: Mapped[SalesOrder] = relationship(back_populates="items")


class Warehouse(TenantOwned, ShownByCachedReads, Base):
    """A warehouse of the account; ``unique_id`` is the partner's own identifier for it."""

    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unique_id: Mapped[str | None] = mapped_column(String(200))
    can_update_inventory: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Listing(TenantOwned, Base):
    """A product listing (a parent product); its variants are :class:`Product` rows."""

    __tablename__ = "listings"
    __table_args__ = (Index("ix_listings_account_updated", "account_id", "updated_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(1000), default="")
    category: Mapped[str | None] = mapped_column(String(200))
    pivot_attributes: Mapped[list[str]] = mapped_column(JSON, default=list)
    primary_image: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cpsia_warnings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prop65: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    variants: Mapped[list[Product]] = relationship(back_populates="listing", order_by="Product.id")


class Product(TenantOwned, Base):
    """A SKU of the account, with its inventory levels per warehouse."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("account_id", "sku"),
        Index("ix_products_account_inventory", "account_id", "last_inventory_update_ts", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    standard_product_id: Mapped[str | None] = mapped_column(String(64))
    standard_product_id_type: Mapped[str | None] = mapped_column(String(8))
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="SET NULL"), index=True
    )
    last_inventory_update_ts: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    listing: Mapped[Listing | None] = relationship(back_populates="variants")
    levels: Mapped[list[InventoryLevel]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="InventoryLevel.warehouse_id",
    )


class InventoryLevel(TenantOwned, Base):
    """The available quantity of one product in one warehouse."""

    __tablename__ = "inventory_levels"
    __table_args__ = (UniqueConstraint("product_id", "warehouse_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(
        ForeignKey("warehouses.id", ondelete="CASCADE"), index=True
    )
    available_quantity: Mapped[int] = mapped_column(Integer, default=0)
    bin_location: Mapped[str | None] = mapped_column(String(200))
    updated_ts: Mapped[dt.datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="levels")
    warehouse: Mapped[Warehouse] = relationship()


class Package(TenantOwned, ShownByCachedReads, Base):
    """A shipped package of a sales order (``fulfillmentPackageId`` is the partner's id)."""

    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("order_id", "fulfillment_package_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_orders.id", ondelete="CASCADE"))
    fulfillment_package_id: Mapped[str] = mapped_column(String(200))
    warehouse_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouses.id", ondelete="SET NULL"), index=True
    )
    carrier: Mapped[str] = mapped_column(String(100))
    tracking: Mapped[str] = mapped_column(String(200))
    service_level: Mapped[str] = mapped_column(String(100))
    ship_ts: Mapped[dt.datetime] = mapped_column(default=utcnow)

    order: Mapped[SalesOrder] = relationship(back_populates="packages")
    items: Mapped[list[PackageItem]] = relationship(
        cascade="all, delete-orphan", order_by="PackageItem.id"
    )


class PackageItem(TenantOwned, ShownByCachedReads, Base):
    """Units of one SKU in a package; they count as shipped on the order's line items."""

    __tablename__ = "package_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(
        ForeignKey("packages.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
