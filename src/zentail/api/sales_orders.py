"""``/v1/salesOrder``: list, get and create sales orders (zentail-api.md §4.3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zentail.api import paging, timestamps
from zentail.api.auth import ApiContext, require_scope
from zentail.domain import orders
from zentail.domain.errors import InvalidInput
from zentail.storage.models import SalesOrder

router = APIRouter(prefix="/v1/salesOrder", tags=["Sales orders"])


class Address(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=200)
    address1: str = Field(min_length=1, max_length=200)
    address2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=1, max_length=100)
    postalCode: str = Field(min_length=1, max_length=32)  # noqa: N815
    country: str = Field(min_length=2, max_length=64)
    phone: str | None = Field(default=None, max_length=64)


class NewLineItem(BaseModel):
    requestedSku: str = Field(min_length=1, max_length=200)  # noqa: N815
    quantity: int = Field(ge=1, le=1_000_000)
    unitPrice: Decimal = Field(ge=0, max_digits=14, decimal_places=2)  # noqa: N815


class NewSalesOrder(BaseModel):
    """The body of ``POST /v1/salesOrder``; ``integrationID`` is accepted and ignored."""

    channelOrderId: str = Field(min_length=1, max_length=200)  # noqa: N815
    status: str = Field(description="PENDING or PENDING_PAYMENT")
    orderTs: str = Field(description="ISO 8601 with a zone")  # noqa: N815
    shippingAddress: Address  # noqa: N815
    products: list[NewLineItem] = Field(min_length=1, max_length=500)
    resellerCommission: Decimal | None = Field(  # noqa: N815
        default=None, ge=0, max_digits=14, decimal_places=2
    )
    integrationID: Any = None  # noqa: N815

    @field_validator("status")
    @classmethod
    def _creatable(cls, value: str) -> str:
        if value not in orders.CREATABLE_STATUSES:
            raise ValueError(f"must be one of {', '.join(orders.CREATABLE_STATUSES)}")
        return value


class LineItem(BaseModel):
    lineItemId: int  # noqa: N815
    status: str
    requestedSku: str  # noqa: N815
    SKU: str | None
    quantity: int
    unitPrice: float  # noqa: N815
    cancelQuantity: int  # noqa: N815
    shippedQuantity: int  # noqa: N815


class SalesOrderOut(BaseModel):
    orderNumber: int  # noqa: N815
    channelOrderId: str  # noqa: N815
    status: str
    orderTs: str  # noqa: N815
    lastUpdatedTs: str  # noqa: N815
    shippingAddress: dict[str, Any]  # noqa: N815
    products: list[LineItem]
    resellerCommission: float | None  # noqa: N815
    cancelReason: str | None  # noqa: N815


def line_status(order: SalesOrder, shipped: int, cancelled: int, quantity: int) -> str:
    if cancelled >= quantity:
        return "CANCELLED"
    if shipped >= quantity - cancelled:
        return "SHIPPED"
    if shipped:
        return "PARTIALLY_SHIPPED"
    return order.status if order.status in ("PENDING", "PENDING_PAYMENT") else "PENDING"


def render_order(order: SalesOrder) -> SalesOrderOut:
    return SalesOrderOut(
        orderNumber=order.order_number,
        channelOrderId=order.channel_order_id,
        status=order.status,
        orderTs=timestamps.render(order.order_ts),
        lastUpdatedTs=timestamps.render(order.last_updated_ts),
        shippingAddress=order.shipping_address,
        products=[
            LineItem(
                lineItemId=item.line_item_id,
                status=line_status(
                    order, item.shipped_quantity, item.cancel_quantity, item.quantity
                ),
                requestedSku=item.requested_sku,
                SKU=item.sku,
                quantity=item.quantity,
                unitPrice=float(item.unit_price),
                cancelQuantity=item.cancel_quantity,
                shippedQuantity=item.shipped_quantity,
            )
            for item in order.items
        ],
        resellerCommission=(
            float(order.reseller_commission) if order.reseller_commission is not None else None
        ),
        cancelReason=order.cancel_reason,
    )


def _split(value: str | None) -> tuple[str, ...]:
    """Comma-separated list; Zentail's examples sometimes wrap it in single quotes."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.strip("'\"").split(",") if part.strip())


def _filters_from_query(
    status: str | None,
    last_updated_ts: str | None,
    order_ts: str | None,
    channel_order_ids: str | None,
    warehouse_id: int | None,
) -> dict[str, Any]:
    """Validate the query and return it as the JSON-safe state kept in ``nextToken``."""
    state: dict[str, Any] = {"status": list(orders.parse_statuses(status))}
    if last_updated_ts:
        state["lastUpdatedTs"] = timestamps.render(
            timestamps.parse(last_updated_ts, "lastUpdatedTs")
        )
    if order_ts:
        state["orderTs"] = timestamps.render(timestamps.parse(order_ts, "orderTs"))
    state["channelOrderIds"] = list(_split(channel_order_ids))
    state["warehouseId"] = warehouse_id
    return state


def _filter_from_state(state: dict[str, Any]) -> orders.OrderFilter:
    try:
        return orders.OrderFilter(
            statuses=orders.parse_statuses(",".join(state.get("status") or [])),
            last_updated_from=(
                timestamps.parse(state["lastUpdatedTs"], "nextToken")
                if state.get("lastUpdatedTs")
                else None
            ),
            order_ts_from=(
                timestamps.parse(state["orderTs"], "nextToken") if state.get("orderTs") else None
            ),
            channel_order_ids=tuple(str(v) for v in state.get("channelOrderIds") or []),
            warehouse_id=int(state["warehouseId"])
            if state.get("warehouseId") is not None
            else None,
        )
    except (TypeError, ValueError, AttributeError):
        raise InvalidInput("nextToken", "is not a token this API issued") from None


def _cursor(state: dict[str, Any]) -> tuple[dt.datetime, int] | None:
    after = state.get("after")
    if after is None:
        return None
    try:
        ts, row_id = after
        return timestamps.parse(str(ts), "nextToken"), int(row_id)
    except (TypeError, ValueError):
        raise InvalidInput("nextToken", "is not a token this API issued") from None


@router.get("", response_model=paging.Page[SalesOrderOut], summary="List sales orders")
def list_sales_orders(
    request: Request,
    ctx: Annotated[ApiContext, require_scope("salesOrder:read")],
    status: Annotated[
        str | None, Query(description="Comma-separated statuses, e.g. PENDING,PENDING_PAYMENT")
    ] = None,
    lastUpdatedTs: Annotated[  # noqa: N803
        str | None, Query(description="Orders updated at or after this time (inclusive)")
    ] = None,
    orderTs: Annotated[  # noqa: N803
        str | None, Query(description="Orders placed at or after this time")
    ] = None,
    channelOrderIds: Annotated[  # noqa: N803
        str | None, Query(description="Comma-separated channel order IDs")
    ] = None,
    warehouseId: Annotated[int | None, Query(description="Orders routed to this warehouse")] = None,  # noqa: N803
    pageLength: Annotated[  # noqa: N803
        int | None, Query(description="Page size, 1 to 100 (default 25)")
    ] = None,
    nextToken: Annotated[  # noqa: N803
        str | None, Query(description="Continue a previous listing; other parameters are ignored")
    ] = None,
) -> paging.Page[SalesOrderOut]:
    """Orders sorted by last update, oldest first, in pages (Zentail's paging shape)."""
    if nextToken:
        state = paging.decode_token(nextToken)
    else:
        state = _filters_from_query(status, lastUpdatedTs, orderTs, channelOrderIds, warehouseId)
        state["pageLength"] = paging.page_length(pageLength)
    limit = paging.page_length(_int_or_none(state.get("pageLength")))
    rows = orders.list_orders(
        ctx.scope, _filter_from_state(state), after=_cursor(state), limit=limit + 1
    )
    has_next = len(rows) > limit
    rows = rows[:limit]
    next_token = None
    if has_next:
        last = rows[-1]
        state["after"] = [timestamps.render_exact(last.last_updated_ts), last.id]
        next_token = paging.next_url(request, state)
    return paging.Page[SalesOrderOut](
        results=[render_order(order) for order in rows],
        pagination=paging.Pagination(hasNext=has_next, nextToken=next_token),
    )


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int):
        raise InvalidInput("nextToken", "is not a token this API issued")
    return value


@router.get("/{orderNumber}", response_model=SalesOrderOut, summary="Get one sales order")
def get_sales_order(
    orderNumber: int,  # noqa: N803
    ctx: Annotated[ApiContext, require_scope("salesOrder:read")],
) -> SalesOrderOut:
    """One order by its ``orderNumber`` (unique within the account)."""
    return render_order(orders.get_order(ctx.scope, orderNumber))


@router.post("", response_model=SalesOrderOut, status_code=201, summary="Create a sales order")
def create_sales_order(
    body: NewSalesOrder,
    ctx: Annotated[ApiContext, require_scope("salesOrder:write", write=True)],
) -> SalesOrderOut:
    """Inject an order (status ``PENDING`` or ``PENDING_PAYMENT``); the server assigns the
    ``orderNumber`` and returns the order."""
    order = orders.create_order(
        ctx.scope,
        orders.NewOrder(
            channel_order_id=body.channelOrderId,
            status=body.status,
            order_ts=timestamps.parse(body.orderTs, "orderTs"),
            shipping_address=body.shippingAddress.model_dump(exclude_none=True),
            products=[
                orders.NewLineItem(p.requestedSku, p.quantity, p.unitPrice) for p in body.products
            ],
            reseller_commission=body.resellerCommission,
        ),
        app_id=ctx.principal.app_id,
    )
    return render_order(order)
