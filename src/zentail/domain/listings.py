"""Product listings (zentail-api.md §4.6): a parent SKU with content, and its variants
(the :class:`Product` rows linked to it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import selectinload

from zentail.domain.errors import NotFound
from zentail.storage.models import Listing, Product, utcnow
from zentail.storage.tenancy import AccountScope

LOAD_VARIANTS = selectinload(Listing.variants).selectinload(Product.levels)


@dataclass(frozen=True)
class NewListing:
    sku: str
    title: str
    description: str = ""
    tags: str = ""
    category: str | None = None
    pivot_attributes: list[str] = field(default_factory=list)
    primary_image: dict[str, Any] | None = None
    cpsia_warnings: dict[str, bool] = field(default_factory=dict)
    prop65: dict[str, Any] | None = None


def add_listing(scope: AccountScope, new: NewListing) -> Listing:
    """Create a listing (listings reach the platform through imports, not the v1 API)."""
    now = utcnow()
    listing = scope.add(
        Listing(
            sku=new.sku,
            title=new.title,
            description=new.description,
            tags=new.tags,
            category=new.category,
            pivot_attributes=list(new.pivot_attributes),
            primary_image=new.primary_image,
            cpsia_warnings=dict(new.cpsia_warnings),
            prop65=new.prop65,
            created_at=now,
            updated_at=now,
        )
    )
    scope.session.flush()
    return listing


def get_listing(scope: AccountScope, listing_id: int) -> Listing:
    statement = scope.select(Listing).where(Listing.id == listing_id).options(LOAD_VARIANTS)
    listing = scope.session.scalars(statement).one_or_none()
    if listing is None:
        raise NotFound(f"No listing {listing_id}")
    return listing


@dataclass(frozen=True)
class ListingFilter:
    """``skus`` matches the listing's SKU or a variant's; ``updated_from`` is inclusive."""

    skus: tuple[str, ...] = ()
    updated_from: dt.datetime | None = None


def list_listings(
    scope: AccountScope,
    filters: ListingFilter,
    *,
    after: tuple[dt.datetime, int] | None,
    limit: int,
) -> list[Listing]:
    """Listings by last update, oldest first, then id; ``after`` is the keyset cursor."""
    statement = scope.select(Listing).options(LOAD_VARIANTS)
    if filters.skus:
        variant = exists(
            scope.select(Product)
            .with_only_columns(Product.id)
            .where(Product.listing_id == Listing.id, Product.sku.in_(filters.skus))
        )
        statement = statement.where(or_(Listing.sku.in_(filters.skus), variant))
    if filters.updated_from is not None:
        statement = statement.where(Listing.updated_at >= filters.updated_from)
    if after is not None:
        after_ts, after_id = after
        statement = statement.where(
            or_(
                Listing.updated_at > after_ts,
                and_(Listing.updated_at == after_ts, Listing.id > after_id),
            )
        )
    statement = statement.order_by(Listing.updated_at, Listing.id).limit(limit)
    return list(scope.session.scalars(statement))


def available(product: Product) -> int:
    """A variant's available inventory: the sum over its warehouses."""
    return sum(level.available_quantity for level in product.levels)
