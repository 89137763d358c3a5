"""Shipments: packages that cover an order's units (zentail-api.md §4.3, POST shipments).

A call records up to 50 packages, possibly for different orders, all or nothing. Each
package's ``products`` count as shipped on the order's line items with that SKU, in line
order; a unit ships only once. An order becomes ``PARTIALLY_SHIPPED`` with its first
shipped unit and ``SHIPPED`` when every unit not cancelled is covered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from zentail.domain import orders, warehouses
from zentail.domain.errors import Conflict, InvalidInput
from zentail.storage.models import Package, PackageItem, SalesOrder, SalesOrderItem
from zentail.storage.tenancy import AccountScope

MAX_PACKAGES = 50
SHIPPABLE_STATUSES = ("PENDING", "PARTIALLY_SHIPPED")


@dataclass(frozen=True)
class NewPackage:
    order_number: int
    fulfillment_package_id: str
    warehouse_id: int
    carrier: str
    tracking: str
    service_level: str
    products: Sequence[tuple[str, int]] = ()  # (sku, quantity)


def record_shipments(
    scope: AccountScope, packages: Sequence[NewPackage]
) -> list[tuple[SalesOrder, Package]]:
    """Record every package or none (the caller's unit of work rolls back on an error, which
    names the offending package as ``packages.<index>``)."""
    if not 1 <= len(packages) <= MAX_PACKAGES:
        raise InvalidInput("packages", f"must hold 1 to {MAX_PACKAGES} packages")
    loaded: dict[int, SalesOrder] = {}
    recorded = []
    for index, new in enumerate(packages):
        field = f"packages.{index}"
        order = loaded.get(new.order_number)
        if order is None:
            order = orders.get_order(
                scope, new.order_number, for_update=True, field=f"{field}.orderNumber"
            )
            loaded[new.order_number] = order
        warehouses.get_warehouse(scope, new.warehouse_id, field=f"{field}.warehouseId")
        recorded.append((order, _add_package(scope, order, new, field)))
    scope.session.flush()
    return recorded


def _add_package(scope: AccountScope, order: SalesOrder, new: NewPackage, field: str) -> Package:
    if order.status not in SHIPPABLE_STATUSES:
        raise Conflict(
            f"{field}: sales order {order.order_number} is {order.status}; only PENDING or "
            "PARTIALLY_SHIPPED orders can ship"
        )
    if any(p.fulfillment_package_id == new.fulfillment_package_id for p in order.packages):
        raise Conflict(
            f"{field}: package {new.fulfillment_package_id!r} is already recorded on sales "
            f"order {order.order_number}"
        )
    wanted = Counter[str]()
    for position, (sku, quantity) in enumerate(new.products):
        if not any(_sku(item) == sku for item in order.items):
            raise InvalidInput(
                f"{field}.products.{position}.sku", f"is not on sales order {order.order_number}"
            )
        wanted[sku] += quantity
    for sku, quantity in wanted.items():
        _ship_units(order, sku, quantity, field)
    package = Package(
        account_id=scope.account_id,
        fulfillment_package_id=new.fulfillment_package_id,
        warehouse_id=new.warehouse_id,
        carrier=new.carrier,
        tracking=new.tracking,
        service_level=new.service_level,
        items=[
            PackageItem(account_id=scope.account_id, sku=sku, quantity=quantity)
            for sku, quantity in new.products
        ],
    )
    order.packages.append(package)
    _update_status(order)
    return package


def _sku(item: SalesOrderItem) -> str:
    return item.sku or item.requested_sku


def _ship_units(order: SalesOrder, sku: str, quantity: int, field: str) -> None:
    """Spread ``quantity`` units over the order's lines for ``sku``; more units than remain
    unshipped is a conflict (a unit ships only once)."""
    lines = [item for item in order.items if _sku(item) == sku]
    remaining = sum(_unshipped(item) for item in lines)
    if quantity > remaining:
        raise Conflict(
            f"{field}: {quantity} unit(s) of {sku} exceed the {remaining} left to ship on "
            f"sales order {order.order_number}; a unit ships only once"
        )
    for item in lines:
        take = min(quantity, _unshipped(item))
        item.shipped_quantity += take
        quantity -= take


def _unshipped(item: SalesOrderItem) -> int:
    return item.quantity - item.cancel_quantity - item.shipped_quantity


def _update_status(order: SalesOrder) -> None:
    if all(_unshipped(item) == 0 for item in order.items):
        order.status = "SHIPPED"
    elif any(item.shipped_quantity for item in order.items):
        order.status = "PARTIALLY_SHIPPED"
    orders.touch(order)
