"""Sales orders and their status transitions, always within one account (an
:class:`AccountScope`). Shipments live in :mod:`zentail.domain.shipments`.

Transitions (anything else is a :class:`Conflict`, answered 409):

    PENDING_PAYMENT --markPaid--> PENDING
    PENDING_PAYMENT | PENDING --cancel--> CANCELLED
    PENDING | PARTIALLY_SHIPPED --shipments--> PARTIALLY_SHIPPED | SHIPPED
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import selectinload

from zentail.domain import warehouses
from zentail.domain.errors import Conflict, InvalidInput, NotFound
from zentail.storage.models import Account, Package, SalesOrder, SalesOrderItem, utcnow
from zentail.storage.tenancy import AccountScope

# Zentail's API reference lists these eight (zentail-api.md §4.3, quirk Q17).
STATUSES = (
    "PENDING_PAYMENT",
    "PENDING",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "RETURNED",
    "REFUNDED",
    "RETURN_REQUESTED",
)
FILTER_ONLY_STATUSES = ("PARTIALLY_CANCELLED",)
CREATABLE_STATUSES = ("PENDING", "PENDING_PAYMENT")
CANCELLABLE_STATUSES = ("PENDING_PAYMENT", "PENDING")
# Orders whose unshipped, uncancelled units still hold inventory.
RESERVING_STATUSES = ("PENDING_PAYMENT", "PENDING", "PARTIALLY_SHIPPED")
MAX_CANCEL_REASON_LENGTH = 200


LOAD_DETAILS = (
    selectinload(SalesOrder.items),
    selectinload(SalesOrder.packages).selectinload(Package.items),
)


@dataclass(frozen=True)
class NewLineItem:
    requested_sku: str
    quantity: int
    unit_price: Decimal
    sku: str | None = None
    warehouse_id: int | None = None


@dataclass(frozen=True)
class NewOrder:
    channel_order_id: str
    status: str
    order_ts: dt.datetime
    shipping_address: dict[str, str]
    products: Sequence[NewLineItem]
    reseller_commission: Decimal | None = None


@dataclass(frozen=True)
class OrderFilter:
    """``GET /v1/salesOrder`` filters; empty means no filter."""

    statuses: tuple[str, ...] = ()
    last_updated_from: dt.datetime | None = None
    order_ts_from: dt.datetime | None = None
    channel_order_ids: tuple[str, ...] = ()
    warehouse_id: int | None = None


def parse_statuses(value: str | None) -> tuple[str, ...]:
    """Comma-separated statuses, case-insensitive (quirk Q17). ``CANCELED`` (one L, as one
    Zentail guide spells it) is read as ``CANCELLED``; ``PARTIALLY_CANCELLED``, which the same
    guide recommends, is accepted and matches no order (cancellation is whole-order here);
    anything else unknown is an error naming the value."""
    if not value:
        return ()
    names = [part.strip().upper() for part in value.strip("'\"").split(",") if part.strip()]
    names = ["CANCELLED" if name == "CANCELED" else name for name in names]
    unknown = [name for name in names if name not in (*STATUSES, *FILTER_ONLY_STATUSES)]
    if unknown:
        raise InvalidInput("status", f"unknown value(s) {', '.join(unknown)}")
    return tuple(dict.fromkeys(names))


def next_order_number(scope: AccountScope) -> int:
    """Allocate the account's next order number atomically (``UPDATE … RETURNING``)."""
    number = scope.session.scalar(
        update(Account)
        .where(Account.id == scope.account_id)
        .values(last_order_number=Account.last_order_number + 1)
        .returning(Account.last_order_number)
    )
    assert number is not None
    return int(number)


def create_order(scope: AccountScope, new: NewOrder, *, app_id: int | None) -> SalesOrder:
    if new.status not in CREATABLE_STATUSES:
        raise InvalidInput("status", f"must be one of {', '.join(CREATABLE_STATUSES)}")
    if not new.products:
        raise InvalidInput("products", "must hold at least one line item")
    for index, item in enumerate(new.products):
        if item.warehouse_id is not None:
            warehouses.get_warehouse(
                scope, item.warehouse_id, field=f"products.{index}.warehouseId"
            )
    now = utcnow()
    order = scope.add(
        SalesOrder(
            order_number=next_order_number(scope),
            channel_order_id=new.channel_order_id,
            status=new.status,
            order_ts=new.order_ts,
            last_updated_ts=now,
            shipping_address=dict(new.shipping_address),
            reseller_commission=new.reseller_commission,
            created_by_app_id=app_id,
        )
    )
    for line_number, item in enumerate(new.products, start=1):
        order.items.append(
            SalesOrderItem(
                account_id=scope.account_id,
                line_item_id=line_number,
                requested_sku=item.requested_sku,
                sku=item.sku or item.requested_sku,
                quantity=item.quantity,
                unit_price=item.unit_price,
                warehouse_id=item.warehouse_id,
            )
        )
    scope.session.flush()
    return order


def get_order(
    scope: AccountScope, order_number: int, *, for_update: bool = False, field: str | None = None
) -> SalesOrder:
    """The account's order ``order_number`` with its items and packages. ``for_update``
    locks the row (``SELECT … FOR UPDATE``) for a read-modify-write transition."""
    statement = (
        scope.select(SalesOrder)
        .where(SalesOrder.order_number == order_number)
        .options(*LOAD_DETAILS)
    )
    if for_update:
        statement = statement.with_for_update(of=SalesOrder)
    order = scope.session.scalars(statement).one_or_none()
    if order is None:
        prefix = f"{field}: n" if field else "N"
        raise NotFound(f"{prefix}o sales order {order_number}")
    return order


def touch(order: SalesOrder) -> None:
    """Record a change: the order moves to the end of the ``lastUpdatedTs`` sort."""
    order.last_updated_ts = utcnow()


def mark_paid(scope: AccountScope, order_number: int) -> SalesOrder:
    """``PENDING_PAYMENT`` → ``PENDING``; the order becomes ready to fulfil."""
    order = get_order(scope, order_number, for_update=True)
    if order.status != "PENDING_PAYMENT":
        raise Conflict(
            f"Sales order {order_number} is {order.status}; only a PENDING_PAYMENT order "
            "can be marked paid"
        )
    order.status = "PENDING"
    touch(order)
    return order


def cancel(scope: AccountScope, order_number: int, reason: str) -> SalesOrder:
    """A customer-initiated cancellation of an order none of whose units has shipped: every
    line item's ``cancelQuantity`` becomes its quantity and the reason is kept."""
    reason = valid_cancel_reason(reason)
    order = get_order(scope, order_number, for_update=True)
    if order.status not in CANCELLABLE_STATUSES:
        raise Conflict(
            f"Sales order {order_number} is {order.status}; only PENDING_PAYMENT or PENDING "
            "orders can be cancelled"
        )
    for item in order.items:
        item.cancel_quantity = item.quantity
    order.status = "CANCELLED"
    order.cancel_reason = reason
    touch(order)
    return order


def valid_cancel_reason(reason: str) -> str:
    """1 to 200 characters after trimming, no control characters. Zentail checks reasons
    against each channel's list; orders here carry no channel, so any such text is kept."""
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_CANCEL_REASON_LENGTH:
        raise InvalidInput("reason", f"must be 1 to {MAX_CANCEL_REASON_LENGTH} characters")
    if any(unicodedata.category(char) == "Cc" for char in reason):
        raise InvalidInput("reason", "must not contain control characters")
    return reason


def list_orders(
    scope: AccountScope,
    filters: OrderFilter,
    *,
    after: tuple[dt.datetime, int] | None,
    limit: int,
) -> list[SalesOrder]:
    """Orders sorted by last update, oldest first, then by id; ``after`` is the keyset
    cursor (the last row of the previous page). Returns up to ``limit`` rows."""
    statement = scope.select(SalesOrder).options(*LOAD_DETAILS)
    if filters.statuses:
        statement = statement.where(SalesOrder.status.in_(filters.statuses))
    if filters.last_updated_from is not None:
        statement = statement.where(SalesOrder.last_updated_ts >= filters.last_updated_from)
    if filters.order_ts_from is not None:
        statement = statement.where(SalesOrder.order_ts >= filters.order_ts_from)
    if filters.channel_order_ids:
        statement = statement.where(SalesOrder.channel_order_id.in_(filters.channel_order_ids))
    if filters.warehouse_id is not None:
        routed = (
            scope.select(SalesOrderItem)
            .with_only_columns(SalesOrderItem.order_id)
            .where(SalesOrderItem.warehouse_id == filters.warehouse_id)
        )
        statement = statement.where(SalesOrder.id.in_(routed))
    if after is not None:
        after_ts, after_id = after
        statement = statement.where(
            or_(
                SalesOrder.last_updated_ts > after_ts,
                and_(SalesOrder.last_updated_ts == after_ts, SalesOrder.id > after_id),
            )
        )
    statement = statement.order_by(SalesOrder.last_updated_ts, SalesOrder.id).limit(limit)
    return list(scope.session.scalars(statement))
