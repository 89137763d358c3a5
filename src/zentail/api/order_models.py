"""Request and response bodies of ``/v1/salesOrder`` (zentail-api.md §4.3), and how an
order is rendered. Field names follow Zentail's (camelCase; ``SKU`` on line items, ``sku``
and ``service_level`` in packages, as its guides spell them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zentail.api import timestamps
from zentail.api.query import (
    MAX_ORDER_NUMBER,
    MAX_QUANTITY,
    Id,
    OptionalText,
    ShortText,
    Text,
    Timestamp,
)
from zentail.domain import orders, shipments

OrderNumber = Annotated[int, Field(ge=1, le=MAX_ORDER_NUMBER)]


class Address(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: Text
    address1: Text
    address2: OptionalText | None = None
    city: ShortText
    state: ShortText
    postalCode: Text  # noqa: N815
    country: Text
    phone: OptionalText | None = None


class NewLineItem(BaseModel):
    requestedSku: Text  # noqa: N815
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    unitPrice: Decimal = Field(ge=0, max_digits=14, decimal_places=2)  # noqa: N815
    warehouseId: Id | None = Field(  # noqa: N815
        default=None, description="The warehouse the line is routed to (optional)"
    )


class NewSalesOrder(BaseModel):
    """The body of ``POST /v1/salesOrder``; ``integrationID`` is accepted and ignored."""

    channelOrderId: Text  # noqa: N815
    status: str = Field(description="PENDING or PENDING_PAYMENT")
    orderTs: Timestamp = Field(description="ISO 8601 with a zone")  # noqa: N815
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


class CancelRequest(BaseModel):
    reason: Text = Field(
        description="Why the customer cancelled: a channel's reason code (e.g. Amazon's "
        "BuyerCanceled) or free text"
    )


class PackageProduct(BaseModel):
    sku: Text
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class NewPackage(BaseModel):
    orderNumber: OrderNumber  # noqa: N815
    fulfillmentPackageId: Text = Field(  # noqa: N815
        description="Your own id for the package; unique within the order"
    )
    warehouseId: Id  # noqa: N815
    carrier: ShortText = Field(description="Free text; simple names (USPS, UPS, FedEx) work best")
    tracking: Text
    service_level: ShortText
    products: list[PackageProduct] = Field(
        default_factory=list,
        max_length=500,
        description="The units in the package; only these count as shipped",
    )


class ShipmentsRequest(BaseModel):
    packages: list[NewPackage] = Field(min_length=1, max_length=shipments.MAX_PACKAGES)


class LineItem(BaseModel):
    lineItemId: int  # noqa: N815
    status: str
    requestedSku: str  # noqa: N815
    SKU: str | None
    quantity: int
    unitPrice: float  # noqa: N815
    cancelQuantity: int  # noqa: N815
    shippedQuantity: int  # noqa: N815
    warehouseId: int | None  # noqa: N815


class PackageOut(BaseModel):
    orderNumber: int  # noqa: N815
    fulfillmentPackageId: str  # noqa: N815
    warehouseId: int | None  # noqa: N815
    carrier: str
    tracking: str
    service_level: str
    shipTs: Timestamp  # noqa: N815
    products: list[PackageProduct]


class SalesOrderOut(BaseModel):
    orderNumber: int  # noqa: N815
    channelOrderId: str  # noqa: N815
    status: str
    orderTs: Timestamp  # noqa: N815
    lastUpdatedTs: Timestamp  # noqa: N815
    shippingAddress: dict[str, Any]  # noqa: N815
    products: list[LineItem]
    packages: list[PackageOut]
    resellerCommission: float | None  # noqa: N815
    cancelReason: str | None  # noqa: N815


class OrderStatus(BaseModel):
    orderNumber: int  # noqa: N815
    status: str


class ShipmentsResult(BaseModel):
    results: list[PackageOut] = Field(description="The packages recorded, in request order")
    orders: list[OrderStatus] = Field(description="Each order touched, with its new status")


class OrderItemRecord(Protocol):
    @property
    def line_item_id(self) -> int: ...
    @property
    def requested_sku(self) -> str: ...
    @property
    def sku(self) -> str | None: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def cancel_quantity(self) -> int: ...
    @property
    def shipped_quantity(self) -> int: ...
    @property
    def warehouse_id(self) -> int | None: ...


class PackageItemRecord(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> int: ...


class PackageRecord(Protocol):
    @property
    def fulfillment_package_id(self) -> str: ...
    @property
    def warehouse_id(self) -> int | None: ...
    @property
    def carrier(self) -> str: ...
    @property
    def tracking(self) -> str: ...
    @property
    def service_level(self) -> str: ...
    @property
    def ship_ts(self) -> dt.datetime: ...

    @property
    def items(self) -> Sequence[PackageItemRecord]: ...


class OrderRecord(Protocol):
    """What rendering needs of an order: the ORM's :class:`SalesOrder`, or the fast lane's
    plain record of the same names (:mod:`zentail.api.hot_reads`)."""

    @property
    def order_number(self) -> int: ...
    @property
    def channel_order_id(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def order_ts(self) -> dt.datetime: ...
    @property
    def last_updated_ts(self) -> dt.datetime: ...
    @property
    def shipping_address(self) -> dict[str, Any]: ...
    @property
    def reseller_commission(self) -> Decimal | None: ...
    @property
    def cancel_reason(self) -> str | None: ...

    @property
    def items(self) -> Sequence[OrderItemRecord]: ...

    @property
    def packages(self) -> Sequence[PackageRecord]: ...


def line_status(order: OrderRecord, item: OrderItemRecord) -> str:
    """A line's own status, a finer grain of the order's."""
    open_units = item.quantity - item.cancel_quantity
    if item.cancel_quantity >= item.quantity:
        return "CANCELLED"
    if item.shipped_quantity >= open_units:
        return "SHIPPED"
    if item.shipped_quantity:
        return "PARTIALLY_SHIPPED"
    return order.status if order.status in ("PENDING", "PENDING_PAYMENT") else "PENDING"


def render_line(order: OrderRecord, item: OrderItemRecord) -> dict[str, Any]:
    """A line item as :class:`LineItem` shows it (same keys, same order)."""
    return {
        "lineItemId": item.line_item_id,
        "status": line_status(order, item),
        "requestedSku": item.requested_sku,
        "SKU": item.sku,
        "quantity": item.quantity,
        "unitPrice": float(item.unit_price),
        "cancelQuantity": item.cancel_quantity,
        "shippedQuantity": item.shipped_quantity,
        "warehouseId": item.warehouse_id,
    }


def render_package(order: OrderRecord, package: PackageRecord) -> dict[str, Any]:
    """A package as :class:`PackageOut` shows it."""
    return {
        "orderNumber": order.order_number,
        "fulfillmentPackageId": package.fulfillment_package_id,
        "warehouseId": package.warehouse_id,
        "carrier": package.carrier,
        "tracking": package.tracking,
        "service_level": package.service_level,
        "shipTs": timestamps.render(package.ship_ts),
        "products": [{"sku": i.sku, "quantity": i.quantity} for i in package.items],
    }


def render_order(order: OrderRecord, *, warehouse_id: int | None = None) -> dict[str, Any]:
    """The order as the API shows it (:class:`SalesOrderOut`: same keys, same order); with
    ``warehouse_id``, only the line items and packages of that warehouse (Zentail's
    ``warehouseId`` filter)."""
    items = [i for i in order.items if warehouse_id in (None, i.warehouse_id)]
    packages = [p for p in order.packages if warehouse_id in (None, p.warehouse_id)]
    commission = order.reseller_commission
    return {
        "orderNumber": order.order_number,
        "channelOrderId": order.channel_order_id,
        "status": order.status,
        "orderTs": timestamps.render(order.order_ts),
        "lastUpdatedTs": timestamps.render(order.last_updated_ts),
        "shippingAddress": order.shipping_address,
        "products": [render_line(order, item) for item in items],
        "packages": [render_package(order, package) for package in packages],
        "resellerCommission": float(commission) if commission is not None else None,
        "cancelReason": order.cancel_reason,
    }
