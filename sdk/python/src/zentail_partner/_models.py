"""Typed shapes of the Open API's JSON (zentail-api.md §4), as ``TypedDict``.

Results are the decoded JSON itself, so keys keep the API's spelling (``orderNumber``,
``delta_quantity``, ``created_at``: the API mixes camelCase and snake_case) and fields the
platform adds later simply appear. Fields the documentation does not promise on every object
are ``NotRequired``. The client checks the envelope (pages, objects) at run time, not each
field.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

OrderStatus = Literal[
    "PENDING_PAYMENT",
    "PENDING",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "RETURNED",
    "REFUNDED",
    "RETURN_REQUESTED",
]


class Address(TypedDict):
    name: str
    address1: str
    city: str
    state: str
    postalCode: str
    country: str
    address2: NotRequired[str | None]
    phone: NotRequired[str | None]


class LineItem(TypedDict):
    lineItemId: int
    status: str
    requestedSku: str
    SKU: str | None
    quantity: int
    unitPrice: float
    cancelQuantity: int
    shippedQuantity: int
    warehouseId: NotRequired[int | None]


class PackageItem(TypedDict):
    sku: str
    quantity: int


class Package(TypedDict):
    """A shipped package, as recorded by ``POST /v1/salesOrder/shipments``."""

    orderNumber: int
    fulfillmentPackageId: str
    warehouseId: int | None
    carrier: str
    tracking: str
    service_level: str
    shipTs: str
    products: list[PackageItem]


class OrderStatusChange(TypedDict):
    orderNumber: int
    status: OrderStatus


class ShipmentsResult(TypedDict):
    """The answer to ``POST /v1/salesOrder/shipments``: the packages recorded, in request
    order, and each order touched with its new status."""

    results: list[Package]
    orders: list[OrderStatusChange]


class Shipment(TypedDict):
    """One package for ``POST /v1/salesOrder/shipments`` (up to 50 per call)."""

    orderNumber: int
    fulfillmentPackageId: str
    warehouseId: int
    carrier: str
    tracking: str
    service_level: str
    products: list[PackageItem]


class SalesOrder(TypedDict):
    orderNumber: int
    channelOrderId: str
    status: OrderStatus
    orderTs: str
    lastUpdatedTs: str
    shippingAddress: Address
    products: list[LineItem]
    resellerCommission: NotRequired[float | None]
    cancelReason: NotRequired[str | None]
    packages: NotRequired[list[Package]]


class NewLineItem(TypedDict):
    requestedSku: str
    quantity: int
    unitPrice: float
    warehouseId: NotRequired[int]


class NewSalesOrder(TypedDict):
    """The body of ``POST /v1/salesOrder``: ``status`` is ``PENDING`` or ``PENDING_PAYMENT``."""

    channelOrderId: str
    status: Literal["PENDING", "PENDING_PAYMENT"]
    orderTs: str
    shippingAddress: Address
    products: list[NewLineItem]
    resellerCommission: NotRequired[float]


class Warehouse(TypedDict):
    warehouseId: int
    name: str
    warehouseUniqueId: NotRequired[str | None]
    canUpdateInventory: NotRequired[bool]


class WarehouseStock(TypedDict):
    warehouseName: str
    availableQuantity: int
    warehouseId: NotRequired[int]
    warehouseUniqueId: NotRequired[str | None]
    assembledQuantity: NotRequired[int]
    inventoryLocations: NotRequired[list[str]]
    updatedTs: NotRequired[str | None]
    inboundShipments: NotRequired[list[dict[str, Any]]]


class InventoryItem(TypedDict):
    SKU: str
    totalAvailableQuantity: int
    warehouses: list[WarehouseStock]
    active: NotRequired[bool]
    standardProductId: NotRequired[str | None]
    standardProductIdType: NotRequired[Literal["UPC", "EAN", "ISBN", "GTIN"] | None]
    lastInventoryUpdateTs: NotRequired[str | None]


class InventoryLevel(TypedDict):
    SKU: str
    warehouseId: int
    availableQuantity: int
    updatedTs: str


class InventoryUpdateResult(TypedDict):
    """The answer to ``POST /v1/inventory``: the new levels, in request order."""

    results: list[InventoryLevel]


class InventoryUpdate(TypedDict):
    """One item of ``POST /v1/inventory``: give exactly one of ``quantity`` (absolute),
    ``delta_quantity`` (added, may be negative) or ``onhand_quantity`` (absolute, before the
    platform subtracts pending orders)."""

    SKU: str
    warehouseId: int
    quantity: NotRequired[int]
    delta_quantity: NotRequired[int]
    onhand_quantity: NotRequired[int]
    binLocation: NotRequired[str]


class ListingImage(TypedDict):
    url: str
    hash: NotRequired[str | None]


class Prop65(TypedDict):
    required: bool
    type: NotRequired[str | None]
    chemicals: NotRequired[list[str]]


class ListingVariant(TypedDict):
    sku: str
    available_inventory: NotRequired[int]


class Listing(TypedDict):
    id: str
    sku: str
    title: str
    created_at: str
    updated_at: str
    description: NotRequired[str | None]
    tags: NotRequired[str | None]
    category: NotRequired[str | None]
    pivot_attributes: NotRequired[list[str]]
    primary_image: NotRequired[ListingImage | None]
    cpsia_warnings: NotRequired[dict[str, bool]]
    prop65: NotRequired[Prop65 | None]
    variants: NotRequired[list[ListingVariant]]
