"""Every Open API endpoint as a function returning an :class:`Operation` (zentail-api.md §4).

Run one with ``client.call(op)``; walk a listing with ``client.paginate(op)``. Keyword
arguments are the API's query parameters in snake_case; ``None`` leaves a filter out. Lists
are sent comma-separated, timestamps as ISO 8601 in UTC (a naive ``datetime`` is refused: it
names no instant).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from zentail_partner._models import (
    InventoryItem,
    InventoryUpdate,
    InventoryUpdateResult,
    Listing,
    NewSalesOrder,
    OrderStatus,
    SalesOrder,
    Shipment,
    ShipmentsResult,
    Warehouse,
)
from zentail_partner._operation import Operation, Page, parse_object, parse_page

Timestamp = dt.datetime | str
"""An aware ``datetime``, or a string already in Zentail's ISO 8601 form."""


def list_sales_orders(
    *,
    status: OrderStatus | Sequence[OrderStatus] | None = None,
    last_updated_ts: Timestamp | None = None,
    order_ts: Timestamp | None = None,
    channel_order_ids: str | Sequence[str] | None = None,
    warehouse_id: int | None = None,
    page_length: int | None = None,
) -> Operation[Page[SalesOrder]]:
    """``GET /v1/salesOrder``: orders by last update, oldest first; ``last_updated_ts`` and
    ``order_ts`` are inclusive lower bounds. ``page_length``: 1 to 100 (default 25)."""
    return _get_page(
        "v1/salesOrder",
        status=status,
        lastUpdatedTs=last_updated_ts,
        orderTs=order_ts,
        channelOrderIds=channel_order_ids,
        warehouseId=warehouse_id,
        pageLength=page_length,
    )


def get_sales_order(order_number: int) -> Operation[SalesOrder]:
    """``GET /v1/salesOrder/{orderNumber}``."""
    return Operation("GET", f"v1/salesOrder/{_segment(order_number)}", parse_object)


def create_sales_order(order: NewSalesOrder) -> Operation[SalesOrder]:
    """``POST /v1/salesOrder``: inject an order; the platform assigns its ``orderNumber``."""
    return Operation("POST", "v1/salesOrder", parse_object, json=order)


def mark_paid(order_number: int) -> Operation[SalesOrder]:
    """``POST /v1/salesOrder/markPaid/{orderNumber}``: ``PENDING_PAYMENT`` → ``PENDING``."""
    return Operation("POST", f"v1/salesOrder/markPaid/{_segment(order_number)}", parse_object)


def cancel_sales_order(order_number: int, reason: str) -> Operation[SalesOrder]:
    """``POST /v1/salesOrder/cancel/{orderNumber}``: a customer-initiated cancellation; the
    platform checks ``reason`` against what the order's channel accepts."""
    return Operation(
        "POST",
        f"v1/salesOrder/cancel/{_segment(order_number)}",
        parse_object,
        json={"reason": reason},
    )


def create_shipments(packages: Sequence[Shipment]) -> Operation[ShipmentsResult]:
    """``POST /v1/salesOrder/shipments``: up to 50 packages, possibly of several orders."""
    return Operation(
        "POST", "v1/salesOrder/shipments", parse_object, json={"packages": list(packages)}
    )


def list_warehouses(*, page_length: int | None = None) -> Operation[Page[Warehouse]]:
    """``GET /v1/warehouses``: the account's warehouses with the IDs mapped at install."""
    return _get_page("v1/warehouses", pageLength=page_length)


def get_inventory(sku: str) -> Operation[InventoryItem]:
    """``GET /v1/inventory/{SKU}``: quantities of one SKU in every warehouse."""
    return Operation("GET", f"v1/inventory/{_segment(sku)}", parse_object)


def list_inventory(
    *,
    last_updated_ts: Timestamp | None = None,
    skus: str | Sequence[str] | None = None,
    warehouses: int | Sequence[int] | None = None,
    active_only: bool | None = None,
    is_case_sensitive: bool | None = None,
    page_length: int | None = None,
) -> Operation[Page[InventoryItem]]:
    """``GET /v1/inventory``: give at least one of ``last_updated_ts``, ``skus`` or
    ``warehouses``; with ``skus`` the other two are ignored."""
    return _get_page(
        "v1/inventory",
        lastUpdatedTs=last_updated_ts,
        skus=skus,
        warehouses=warehouses,
        activeOnly=active_only,
        isCaseSensitive=is_case_sensitive,
        pageLength=page_length,
    )


def update_inventory(
    products: Sequence[InventoryUpdate], *, valid_as_of: Timestamp
) -> Operation[InventoryUpdateResult]:
    """``POST /v1/inventory``: up to 50 updates; orders routed to a warehouse between
    ``valid_as_of`` and now are subtracted by the platform."""
    body = {"products": list(products), "validAsOf": _timestamp(valid_as_of)}
    return Operation("POST", "v1/inventory", parse_object, json=body)


def list_listings(
    *,
    last_update_ts: Timestamp | None = None,
    skus: str | Sequence[str] | None = None,
    page_length: int | None = None,
) -> Operation[Page[Listing]]:
    """``GET /v1/listing``: listings updated strictly after ``last_update_ts`` (the API
    spells this one ``lastUpdateTs``)."""
    return _get_page("v1/listing", lastUpdateTs=last_update_ts, skus=skus, pageLength=page_length)


def get_listing(listing_id: str) -> Operation[Listing]:
    """``GET /v1/listing/{listingid}``."""
    return Operation("GET", f"v1/listing/{_segment(listing_id)}", parse_object)


def _get_page(path: str, **params: object) -> Operation[Page[Any]]:
    query = {name: _query_value(value) for name, value in params.items() if value is not None}
    return Operation("GET", path, parse_page, params=query)


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return _timestamp(value)
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, Sequence):
        return ",".join(_query_value(item) for item in value)
    raise TypeError(f"cannot send {type(value).__name__} as a query parameter")


def _timestamp(value: Timestamp) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "a naive datetime names no instant; pass an aware one, e.g. datetime.now(UTC)"
        )
    text = value.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _segment(value: int | str) -> str:
    """One path segment, percent-encoded (a SKU may hold ``/``, ``?`` or ``#``)."""
    return quote(str(value), safe="")
