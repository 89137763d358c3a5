"""Sales-order transitions: markPaid, cancel and shipments (zentail-api.md §4.3).

A transition that the order's status does not allow is a 409 problem naming the status.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from zentail.api.auth import ApiContext, require_scope
from zentail.api.errors import problem_responses
from zentail.api.order_models import (
    CancelRequest,
    OrderStatus,
    SalesOrderOut,
    ShipmentsRequest,
    ShipmentsResult,
    render_order,
    render_package,
)
from zentail.api.sales_orders import OrderNumberPath
from zentail.domain import orders, shipments

router = APIRouter(
    prefix="/v1/salesOrder",
    tags=["Sales orders"],
    responses=problem_responses(400, 401, 403, 404, 409, 429, 503),
)


@router.post("/markPaid/{orderNumber}", response_model=SalesOrderOut, summary="Mark an order paid")
def mark_paid(
    orderNumber: OrderNumberPath,  # noqa: N803
    ctx: Annotated[ApiContext, require_scope("salesOrder:write", write=True)],
) -> dict[str, Any]:
    """``PENDING_PAYMENT`` → ``PENDING``: the order is paid and ready to fulfil. Any other
    status is a 409."""
    return render_order(orders.mark_paid(ctx.scope, orderNumber))


@router.post("/cancel/{orderNumber}", response_model=SalesOrderOut, summary="Cancel an order")
def cancel(
    orderNumber: OrderNumberPath,  # noqa: N803
    body: CancelRequest,
    ctx: Annotated[ApiContext, require_scope("salesOrder:write", write=True)],
) -> dict[str, Any]:
    """A customer-initiated cancellation, with a ``reason`` (1 to 200 characters, no
    control characters). Only ``PENDING_PAYMENT`` and ``PENDING`` orders, none of whose
    units has shipped, can be cancelled; any other status is a 409. Every line item's
    ``cancelQuantity`` becomes its quantity."""
    return render_order(orders.cancel(ctx.scope, orderNumber, body.reason))


@router.post("/shipments", response_model=ShipmentsResult, summary="Record shipped packages")
def record_shipments(
    body: ShipmentsRequest,
    ctx: Annotated[ApiContext, require_scope("salesOrder:write", write=True)],
) -> ShipmentsResult:
    """Record 1 to 50 packages, possibly of different orders, all or nothing. A package's
    ``products`` count as shipped: the order becomes ``PARTIALLY_SHIPPED``, then
    ``SHIPPED`` when every unit not cancelled is covered. A unit ships only once: more
    units than remain is a 409, as is a package on an order that is not ``PENDING`` or
    ``PARTIALLY_SHIPPED``, or a ``fulfillmentPackageId`` already recorded on the order.
    An ``orderNumber`` or ``warehouseId`` not in the account is a 404 naming the field."""
    recorded = shipments.record_shipments(
        ctx.scope,
        [
            shipments.NewPackage(
                order_number=p.orderNumber,
                fulfillment_package_id=p.fulfillmentPackageId,
                warehouse_id=p.warehouseId,
                carrier=p.carrier,
                tracking=p.tracking,
                service_level=p.service_level,
                products=[(item.sku, item.quantity) for item in p.products],
            )
            for p in body.packages
        ],
    )
    touched = {order.order_number: order.status for order, _ in recorded}
    return ShipmentsResult(
        results=[render_package(order, package) for order, package in recorded],
        orders=[OrderStatus(orderNumber=n, status=status) for n, status in touched.items()],
    )
