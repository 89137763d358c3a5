"""Products (SKUs) and their inventory levels per warehouse (zentail-api.md §4.5).

Bulk updates set one warehouse's available quantity for a SKU in one of three ways:
``quantity`` (absolute), ``delta_quantity`` (added, may be negative) or ``onhand_quantity``
(absolute, less the units reserved by open orders routed to that warehouse). An absolute
``quantity`` counted at ``validAsOf`` also loses the units of orders placed since then.
Available quantities never go below zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import selectinload

from zentail.domain import orders, warehouses
from zentail.domain.errors import Conflict, InvalidInput, NotFound
from zentail.storage.models import (
    InventoryLevel,
    Listing,
    Product,
    SalesOrder,
    SalesOrderItem,
    utcnow,
)
from zentail.storage.tenancy import AccountScope

MAX_UPDATES = 50
MAX_AVAILABLE = 1_000_000_000
STANDARD_ID_TYPES = ("UPC", "EAN", "ISBN", "GTIN")
LOAD_LEVELS = selectinload(Product.levels).selectinload(InventoryLevel.warehouse)


def add_product(
    scope: AccountScope,
    sku: str,
    *,
    active: bool = True,
    standard_product_id: str | None = None,
    standard_product_id_type: str | None = None,
    listing: Listing | None = None,
) -> Product:
    """Create a SKU (products reach the platform through imports, not the v1 API)."""
    if standard_product_id_type not in (None, *STANDARD_ID_TYPES):
        raise InvalidInput("standardProductIdType", f"must be one of {STANDARD_ID_TYPES}")
    product = scope.add(
        Product(
            sku=sku,
            active=active,
            standard_product_id=standard_product_id,
            standard_product_id_type=standard_product_id_type,
            listing_id=listing.id if listing else None,
        )
    )
    scope.session.flush()
    return product


def get_product(scope: AccountScope, sku: str) -> Product:
    statement = scope.select(Product).where(Product.sku == sku).options(LOAD_LEVELS)
    product = scope.session.scalars(statement).one_or_none()
    if product is None:
        raise NotFound(f"No product with SKU {sku!r}")
    return product


@dataclass(frozen=True)
class InventoryFilter:
    """``skus`` (when given, the other filters are ignored, as Zentail documents),
    ``updated_from`` (inclusive), ``warehouse_ids`` (a level in any of them)."""

    skus: tuple[str, ...] = ()
    case_sensitive: bool = False
    updated_from: dt.datetime | None = None
    warehouse_ids: tuple[int, ...] = ()
    active_only: bool = False


def list_products(
    scope: AccountScope,
    filters: InventoryFilter,
    *,
    after: tuple[dt.datetime, int] | None,
    limit: int,
) -> list[Product]:
    """Products by last inventory update, oldest first, then id; ``after`` is the keyset
    cursor. Returns up to ``limit`` rows with their levels."""
    statement = scope.select(Product).options(LOAD_LEVELS)
    if filters.skus and filters.case_sensitive:
        statement = statement.where(Product.sku.in_(filters.skus))
    elif filters.skus:
        lowered = [sku.lower() for sku in filters.skus]
        statement = statement.where(func.lower(Product.sku).in_(lowered))
    else:
        if filters.updated_from is not None:
            statement = statement.where(Product.last_inventory_update_ts >= filters.updated_from)
        if filters.warehouse_ids:
            stocked = (
                scope.select(InventoryLevel)
                .with_only_columns(InventoryLevel.product_id)
                .where(InventoryLevel.warehouse_id.in_(filters.warehouse_ids))
            )
            statement = statement.where(Product.id.in_(stocked))
    if filters.active_only:
        statement = statement.where(Product.active.is_(True))
    if after is not None:
        after_ts, after_id = after
        statement = statement.where(
            or_(
                Product.last_inventory_update_ts > after_ts,
                and_(Product.last_inventory_update_ts == after_ts, Product.id > after_id),
            )
        )
    statement = statement.order_by(Product.last_inventory_update_ts, Product.id).limit(limit)
    return list(scope.session.scalars(statement))


@dataclass(frozen=True)
class InventoryUpdate:
    """One item of ``POST /v1/inventory``: exactly one of the three quantities is set."""

    sku: str
    warehouse_id: int
    quantity: int | None = None
    delta_quantity: int | None = None
    onhand_quantity: int | None = None
    bin_location: str | None = None


def apply_updates(
    scope: AccountScope, updates: Sequence[InventoryUpdate], *, valid_as_of: dt.datetime
) -> list[InventoryLevel]:
    """Apply every update or none (the caller's unit of work rolls back on an error, which
    names the item as ``products.<index>``).

    Concurrent updates of one SKU are serialized: the products named are locked first
    (``SELECT … FOR UPDATE``, in SKU order so that two requests never wait on each other),
    so every ``delta_quantity`` counts and two first writes of one level never both insert
    it. SQLite needs no row lock: a write unit of work holds its single-writer lock.
    """
    now = utcnow()
    if not 1 <= len(updates) <= MAX_UPDATES:
        raise InvalidInput("products", f"must hold 1 to {MAX_UPDATES} items")
    if valid_as_of > now:
        raise InvalidInput("validAsOf", "must not be in the future")
    _lock_products(scope, sorted({update.sku for update in updates}))
    return [
        _apply(scope, update, f"products.{i}", valid_as_of, now) for i, update in enumerate(updates)
    ]


def _lock_products(scope: AccountScope, skus: Sequence[str]) -> None:
    statement = (
        scope.select(Product)
        .with_only_columns(Product.id)
        .where(Product.sku.in_(skus))
        .order_by(Product.sku)
        .with_for_update()
    )
    scope.session.execute(statement).all()


def _apply(
    scope: AccountScope,
    update: InventoryUpdate,
    field: str,
    valid_as_of: dt.datetime,
    now: dt.datetime,
) -> InventoryLevel:
    product = scope.get(Product, sku=update.sku)
    if product is None:
        raise NotFound(f"{field}.SKU: no product with SKU {update.sku!r}")
    warehouse = warehouses.get_warehouse(scope, update.warehouse_id, field=f"{field}.warehouseId")
    if not warehouse.can_update_inventory:
        raise Conflict(
            f"{field}: the inventory of warehouse {warehouse.id} is managed by another "
            "integration (canUpdateInventory is false)"
        )
    level = scope.get(InventoryLevel, product_id=product.id, warehouse_id=warehouse.id)
    if level is None:
        level = scope.add(
            InventoryLevel(product_id=product.id, warehouse_id=warehouse.id, available_quantity=0)
        )
    if update.quantity is not None:
        placed_since = reserved_units(scope, update.sku, warehouse.id, placed_after=valid_as_of)
        new_quantity = update.quantity - placed_since
    elif update.delta_quantity is not None:
        new_quantity = level.available_quantity + update.delta_quantity
    else:
        assert update.onhand_quantity is not None
        new_quantity = update.onhand_quantity - reserved_units(scope, update.sku, warehouse.id)
    if new_quantity > MAX_AVAILABLE:
        raise Conflict(f"{field}: the available quantity would exceed {MAX_AVAILABLE}")
    level.available_quantity = max(0, new_quantity)
    if update.bin_location is not None:
        level.bin_location = update.bin_location
    level.updated_ts = now
    product.last_inventory_update_ts = now
    scope.session.flush()
    return level


def reserved_units(
    scope: AccountScope, sku: str, warehouse_id: int, *, placed_after: dt.datetime | None = None
) -> int:
    """Units of ``sku`` that open orders routed to ``warehouse_id`` still need (neither
    shipped nor cancelled); with ``placed_after``, only orders placed after that time."""
    unshipped = (
        SalesOrderItem.quantity - SalesOrderItem.cancel_quantity - SalesOrderItem.shipped_quantity
    )
    statement = (
        scope.select(SalesOrderItem)
        .with_only_columns(func.coalesce(func.sum(unshipped), 0))
        .join(SalesOrder, SalesOrder.id == SalesOrderItem.order_id)
        .where(
            SalesOrderItem.sku == sku,
            SalesOrderItem.warehouse_id == warehouse_id,
            SalesOrder.status.in_(orders.RESERVING_STATUSES),
        )
    )
    if placed_after is not None:
        statement = statement.where(SalesOrder.order_ts > placed_after)
    return int(scope.session.scalar(statement) or 0)
