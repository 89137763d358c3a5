"""Warehouses of an account (zentail-api.md §4.4), always within an :class:`AccountScope`."""

from __future__ import annotations

from zentail.domain.errors import InvalidInput, NotFound
from zentail.storage.models import Warehouse
from zentail.storage.tenancy import AccountScope

MAX_NAME_LENGTH = 200


def add_warehouse(
    scope: AccountScope,
    name: str,
    *,
    unique_id: str | None = None,
    can_update_inventory: bool = True,
) -> Warehouse:
    """Create a warehouse; ``unique_id`` is the partner's identifier mapped at install time."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("name", f"must be 1 to {MAX_NAME_LENGTH} characters")
    warehouse = scope.add(
        Warehouse(name=name, unique_id=unique_id, can_update_inventory=can_update_inventory)
    )
    scope.session.flush()
    return warehouse


def get_warehouse(scope: AccountScope, warehouse_id: int, *, field: str) -> Warehouse:
    """The account's warehouse ``warehouse_id``; ``field`` names the request field that
    referred to it in the 404."""
    warehouse = scope.get(Warehouse, id=warehouse_id)
    if warehouse is None:
        raise NotFound(f"{field}: no warehouse {warehouse_id}")
    return warehouse


def list_warehouses(scope: AccountScope, *, after_id: int | None, limit: int) -> list[Warehouse]:
    """Warehouses by id, after the keyset cursor ``after_id``; up to ``limit`` rows."""
    statement = scope.select(Warehouse).order_by(Warehouse.id).limit(limit)
    if after_id is not None:
        statement = statement.where(Warehouse.id > after_id)
    return list(scope.session.scalars(statement))
