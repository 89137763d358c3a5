"""``/v1/salesOrder``: list, get and create sales orders (zentail-api.md §4.3).

The transitions (markPaid, cancel, shipments) are in :mod:`zentail.api.order_actions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from zentail.api import paging, query, timestamps
from zentail.api.auth import ApiContext, require_scope
from zentail.api.errors import problem_responses
from zentail.api.order_models import NewSalesOrder, SalesOrderOut, render_order
from zentail.domain import orders
from zentail.storage.models import SalesOrder

router = APIRouter(
    prefix="/v1/salesOrder",
    tags=["Sales orders"],
    responses=problem_responses(400, 401, 403, 429, 503),
)

OrderNumberPath = Annotated[
    int,
    Path(ge=1, le=query.MAX_ORDER_NUMBER, description="The order's number within the account"),
]


def order_filter(params: Mapping[str, Any]) -> orders.OrderFilter:
    """The list filters from the query (first page) or from ``nextToken`` (later pages)."""
    return orders.OrderFilter(
        statuses=orders.parse_statuses(params.get("status")),
        last_updated_from=query.timestamp(params.get("lastUpdatedTs"), "lastUpdatedTs"),
        order_ts_from=query.timestamp(params.get("orderTs"), "orderTs"),
        channel_order_ids=query.split_list(params.get("channelOrderIds"), "channelOrderIds"),
        warehouse_id=params.get("warehouseId"),
    )


@router.get("", response_model=paging.Page[SalesOrderOut], summary="List sales orders")
def list_sales_orders(
    request: Request,
    ctx: Annotated[ApiContext, require_scope("salesOrder:read")],
    status: Annotated[
        str | None,
        Query(
            description="Comma-separated statuses, e.g. PENDING,PENDING_PAYMENT "
            f"(any of {', '.join(orders.STATUSES)}; CANCELED is read as CANCELLED)",
            pattern=query.NO_CONTROL_CHARS,
        ),
    ] = None,
    lastUpdatedTs: Annotated[  # noqa: N803
        str | None,
        Query(
            json_schema_extra=query.TIMESTAMP_FORMAT,
            description="Orders updated at or after this time (inclusive), ISO 8601 with a zone",
        ),
    ] = None,
    lastUpdateTs: Annotated[  # noqa: N803
        str | None,
        Query(
            json_schema_extra=query.TIMESTAMP_FORMAT,
            description="Another spelling of lastUpdatedTs",
        ),
    ] = None,
    orderTs: Annotated[  # noqa: N803
        str | None,
        Query(
            json_schema_extra=query.TIMESTAMP_FORMAT,
            description="Orders placed at or after this time (inclusive)",
        ),
    ] = None,
    channelOrderIds: Annotated[  # noqa: N803
        str | None,
        Query(description="Comma-separated channel order IDs", pattern=query.NO_CONTROL_CHARS),
    ] = None,
    warehouseId: Annotated[  # noqa: N803
        int | None,
        Query(
            ge=1,
            le=query.MAX_ID,
            description="Only orders routed to this warehouse, showing only its line items "
            "and packages",
        ),
    ] = None,
    pageLength: paging.PageLengthQuery = None,  # noqa: N803
    nextToken: paging.NextTokenQuery = None,  # noqa: N803
) -> paging.Page[dict[str, Any]]:
    """Orders sorted by last update, oldest first (then by order), in pages."""
    page = paging.begin(
        request,
        next_token=nextToken,
        page_length_value=pageLength,
        query={
            "status": status,
            "lastUpdatedTs": query.last_updated(
                lastUpdatedTs, lastUpdateTs, names=("lastUpdatedTs", "lastUpdateTs")
            ),
            "orderTs": orderTs,
            "channelOrderIds": channelOrderIds,
            "warehouseId": warehouseId,
        },
    )
    filters = order_filter(page.query)
    rows = orders.list_orders(
        ctx.scope,
        filters,
        after=paging.time_cursor(page),
        limit=page.limit + 1,
    )
    return paging.respond(
        request,
        page,
        rows,
        cursor=lambda o: paging.time_key(o.last_updated_ts, o.id),
        render=lambda o: render_order(o, warehouse_id=filters.warehouse_id),
    )


@router.get(
    "/{orderNumber}",
    response_model=SalesOrderOut,
    summary="Get one sales order",
    responses=problem_responses(404),
)
def get_sales_order(
    orderNumber: OrderNumberPath,  # noqa: N803
    ctx: Annotated[ApiContext, require_scope("salesOrder:read")],
) -> dict[str, Any]:
    """One order by its ``orderNumber`` (unique within the account)."""
    return render_order(orders.get_order(ctx.scope, orderNumber))


@router.post(
    "",
    response_model=SalesOrderOut,
    status_code=201,
    summary="Create a sales order",
    responses=problem_responses(404),
)
def create_sales_order(
    body: NewSalesOrder,
    ctx: Annotated[ApiContext, require_scope("salesOrder:write", write=True)],
) -> dict[str, Any]:
    """Inject an order (status ``PENDING`` or ``PENDING_PAYMENT``); the server assigns the
    ``orderNumber`` and returns the order. A line's ``warehouseId`` must name one of the
    account's warehouses (404 otherwise)."""
    order: SalesOrder = orders.create_order(
        ctx.scope,
        orders.NewOrder(
            channel_order_id=body.channelOrderId,
            status=body.status,
            order_ts=timestamps.parse(body.orderTs, "orderTs"),
            shipping_address=body.shippingAddress.model_dump(exclude_none=True),
            products=[
                orders.NewLineItem(
                    p.requestedSku, p.quantity, p.unitPrice, warehouse_id=p.warehouseId
                )
                for p in body.products
            ],
            reseller_commission=body.resellerCommission,
        ),
        app_id=ctx.principal.app_id,
    )
    return render_order(order)
