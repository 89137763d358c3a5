"""The fast lane's reads (:mod:`zentail.api.fast_lane`): one prebuilt, account-scoped
statement each, rendered to the same JSON as the FastAPI endpoints' response models."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam

from zentail.api import paging
from zentail.api.order_models import render_order
from zentail.domain import orders
from zentail.domain.errors import InvalidInput, NotFound
from zentail.domain.tokens import Principal
from zentail.platform import Platform
from zentail.storage.gateway import Row, Statement, timestamp
from zentail.storage.models import Warehouse
from zentail.storage.tenancy import tenant_select

WAREHOUSES_AFTER = Statement.build(
    tenant_select(
        Warehouse, Warehouse.id, Warehouse.unique_id, Warehouse.name, Warehouse.can_update_inventory
    )
    .where(Warehouse.id > bindparam("after_id"))
    .order_by(Warehouse.id)
    .limit(bindparam("limit"))
)


def page_length(query: Mapping[str, str]) -> int | None:
    """``pageLength`` as the fast lane let it through: digits, 1 to 100."""
    value = query.get("pageLength")
    return None if value is None else int(value)


async def warehouses_page(
    platform: Platform, principal: Principal, query: Mapping[str, str], path: str
) -> dict[str, Any]:
    """``GET /v1/warehouses`` (see :func:`zentail.api.warehouses.list_warehouses`)."""
    page = paging.begin_page(
        platform.keyring,
        path,
        next_token=query.get("nextToken"),
        page_length_value=page_length(query),
        query={},
    )
    after_id = int(page.after[0]) if page.after else 0
    rows = await platform.gateway.fetch_all(
        WAREHOUSES_AFTER,
        {"account_id": principal.account_id, "after_id": after_id, "limit": page.limit + 1},
    )
    shown, next_url = paging.split_page(
        platform.keyring, platform.settings.issuer, path, page, rows, lambda row: [row[0]]
    )
    return {
        "results": [
            {
                "warehouseId": row[0],
                "warehouseUniqueId": row[1],
                "name": row[2],
                "canUpdateInventory": bool(row[3]),
            }
            for row in shown
        ],
        "pagination": {"hasNext": next_url is not None, "nextToken": next_url},
    }


# One order per row, its line items and packages (with their items) aggregated as JSON arrays
# in the same statement, so an order or a page of orders is one round trip on either database.
_ORDER_COLUMNS = (
    "o.id, o.order_number, o.channel_order_id, o.status, o.order_ts, o.last_updated_ts, "
    "o.shipping_address, o.reseller_commission, o.cancel_reason"
)
_ITEM_FIELDS = (
    "i.line_item_id, i.requested_sku, i.sku, i.quantity, i.unit_price, i.cancel_quantity, "
    "i.shipped_quantity, i.warehouse_id"
)
_PACKAGE_FIELDS = (
    "p.fulfillment_package_id, p.warehouse_id, p.carrier, p.tracking, p.service_level, p.ship_ts"
)
_SQLITE_DETAILS = f"""
  (SELECT json_group_array(json_array({_ITEM_FIELDS}))
     FROM (SELECT * FROM sales_order_items WHERE order_id = o.id ORDER BY id) AS i),
  (SELECT json_group_array(json_array({_PACKAGE_FIELDS},
            (SELECT json_group_array(json_array(pi.sku, pi.quantity))
               FROM (SELECT * FROM package_items WHERE package_id = p.id ORDER BY id) AS pi)))
     FROM (SELECT * FROM packages WHERE order_id = o.id ORDER BY id) AS p)"""
_POSTGRESQL_DETAILS = f"""
  (SELECT coalesce(json_agg(json_build_array({_ITEM_FIELDS}) ORDER BY i.id), '[]')::text
     FROM sales_order_items AS i WHERE i.order_id = o.id),
  (SELECT coalesce(json_agg(json_build_array({_PACKAGE_FIELDS},
            (SELECT coalesce(json_agg(json_build_array(pi.sku, pi.quantity) ORDER BY pi.id), '[]')
               FROM package_items AS pi WHERE pi.package_id = p.id)) ORDER BY p.id), '[]')::text
     FROM packages AS p WHERE p.order_id = o.id)"""


def _orders_statement(where: str, params: tuple[str, ...], *, tail: str = "") -> Statement:
    """``where`` and ``tail`` hold one ``{}`` per parameter after ``account_id``, in order."""
    template = "SELECT {cols},{details}\nFROM sales_orders AS o\nWHERE o.account_id = {first} AND "
    lite = ["?"] * len(params)
    pg = [f"${n}" for n in range(1, len(params) + 1)]
    return Statement.text(
        (template + where + tail).format(
            *lite[1:], cols=_ORDER_COLUMNS, details=_SQLITE_DETAILS, first=lite[0]
        ),
        (template + where + tail).format(
            *pg[1:], cols=_ORDER_COLUMNS, details=_POSTGRESQL_DETAILS, first=pg[0]
        ),
        params,
    )


ONE_ORDER = _orders_statement("o.order_number = {}", ("account_id", "order_number"))


@functools.cache
def orders_page_statement(statuses: int, cursor: bool) -> Statement:
    """A page of orders by (lastUpdatedTs, id), with ``statuses`` status values and, on later
    pages, the keyset cursor; built once per shape."""
    where = [f"o.status IN ({', '.join(['{}'] * statuses)})"] if statuses else []
    params = ["account_id", *(f"status_{n}" for n in range(statuses))]
    if cursor:
        where.append("(o.last_updated_ts > {} OR (o.last_updated_ts = {} AND o.id > {}))")
        params += ["after_ts", "after_ts", "after_id"]
    return _orders_statement(
        " AND ".join(where) or "1 = 1",
        (*params, "limit"),
        tail="\nORDER BY o.last_updated_ts, o.id\nLIMIT {}",
    )


@dataclass(frozen=True)
class ItemRecord:
    line_item_id: int
    requested_sku: str
    sku: str | None
    quantity: int
    unit_price: Decimal
    cancel_quantity: int
    shipped_quantity: int
    warehouse_id: int | None


@dataclass(frozen=True)
class PackageItem:
    sku: str
    quantity: int


@dataclass(frozen=True)
class PackageRecord:
    fulfillment_package_id: str
    warehouse_id: int | None
    carrier: str
    tracking: str
    service_level: str
    ship_ts: dt.datetime
    items: tuple[PackageItem, ...]


@dataclass(frozen=True)
class OrderRecord:
    id: int
    order_number: int
    channel_order_id: str
    status: str
    order_ts: dt.datetime
    last_updated_ts: dt.datetime
    shipping_address: dict[str, Any]
    reseller_commission: Decimal | None
    cancel_reason: str | None
    items: tuple[ItemRecord, ...]
    packages: tuple[PackageRecord, ...]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _when(value: Any) -> dt.datetime:
    when = timestamp(value)
    assert when is not None
    return when


def order_record(row: Row) -> OrderRecord:
    """An order row of :data:`ONE_ORDER` or :func:`orders_page_statement`."""
    order_id, number, channel_id, status, order_ts, updated, address, commission, reason = row[:9]
    items = tuple(
        ItemRecord(line, requested, sku, qty, Decimal(str(price)), cancelled, shipped, warehouse)
        for line, requested, sku, qty, price, cancelled, shipped, warehouse in _json(row[9])
    )
    packages = tuple(
        PackageRecord(
            package_id,
            warehouse,
            carrier,
            tracking,
            level,
            _when(shipped_at),
            tuple(PackageItem(sku, qty) for sku, qty in _json(contents)),
        )
        for package_id, warehouse, carrier, tracking, level, shipped_at, contents in _json(row[10])
    )
    return OrderRecord(
        order_id,
        number,
        channel_id,
        status,
        _when(order_ts),
        _when(updated),
        _json(address) or {},
        None if commission is None else Decimal(str(commission)),
        reason,
        items,
        packages,
    )


async def one_order(
    platform: Platform, principal: Principal, query: Mapping[str, str], path: str
) -> dict[str, Any]:
    """``GET /v1/salesOrder/{orderNumber}`` (see
    :func:`zentail.api.sales_orders.get_sales_order`)."""
    number = int(query["orderNumber"])
    row = await platform.gateway.fetch_one(
        ONE_ORDER, {"account_id": principal.account_id, "order_number": number}
    )
    if row is None:
        raise NotFound(f"No sales order {number}")
    return render_order(order_record(row))


def orders_page_filters(platform: Platform, path: str, query: Mapping[str, str]) -> bool:
    """Whether the fast lane takes this page request: a first page filtered by ``status``
    only, or a ``nextToken`` of such a listing."""
    token = query.get("nextToken")
    if token is None:
        return True
    try:
        page = paging.begin_page(
            platform.keyring, path, next_token=token, page_length_value=None, query={}
        )
    except InvalidInput:
        return False
    return set(page.query) <= {"status"}


async def orders_page(
    platform: Platform, principal: Principal, query: Mapping[str, str], path: str
) -> dict[str, Any]:
    """``GET /v1/salesOrder`` filtered by ``status`` at most (see
    :func:`zentail.api.sales_orders.list_sales_orders`)."""
    page = paging.begin_page(
        platform.keyring,
        path,
        next_token=query.get("nextToken"),
        page_length_value=page_length(query),
        query={"status": query.get("status")},
    )
    statuses = orders.parse_statuses(page.query.get("status"))
    cursor = paging.time_cursor(page)
    params: dict[str, Any] = {"account_id": principal.account_id, "limit": page.limit + 1}
    params.update({f"status_{n}": status for n, status in enumerate(statuses)})
    if cursor is not None:
        params["after_ts"], params["after_id"] = cursor
    rows = await platform.gateway.fetch_all(
        orders_page_statement(len(statuses), cursor is not None), params
    )
    records = [order_record(row) for row in rows]
    shown, next_url = paging.split_page(
        platform.keyring,
        platform.settings.issuer,
        path,
        page,
        records,
        lambda o: paging.time_key(o.last_updated_ts, o.id),
    )
    return {
        "results": [render_order(order) for order in shown],
        "pagination": {"hasNext": next_url is not None, "nextToken": next_url},
    }
