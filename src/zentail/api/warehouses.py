"""``GET /v1/warehouses`` (zentail-api.md §4.4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from zentail.api import paging
from zentail.api.auth import ApiContext, require_scope
from zentail.api.errors import problem_responses
from zentail.domain import warehouses
from zentail.storage.models import Warehouse

router = APIRouter(
    prefix="/v1/warehouses",
    tags=["Warehouses"],
    responses=problem_responses(400, 401, 403, 429, 503),
)


class WarehouseOut(BaseModel):
    warehouseId: int = Field(description="Zentail's id (a number; quirk Q12)")  # noqa: N815
    warehouseUniqueId: str | None = Field(  # noqa: N815
        description="Your own identifier for the warehouse, mapped at install time"
    )
    name: str
    canUpdateInventory: bool = Field(  # noqa: N815
        description="Deprecated. False when another integration manages the warehouse's "
        "inventory; POST /v1/inventory then refuses it (409)"
    )


def render_warehouse(warehouse: Warehouse) -> WarehouseOut:
    return WarehouseOut(
        warehouseId=warehouse.id,
        warehouseUniqueId=warehouse.unique_id,
        name=warehouse.name,
        canUpdateInventory=warehouse.can_update_inventory,
    )


@router.get("", response_model=paging.Page[WarehouseOut], summary="List warehouses")
def list_warehouses(
    request: Request,
    ctx: Annotated[ApiContext, require_scope("warehouse:read")],
    pageLength: paging.PageLengthQuery = None,  # noqa: N803
    nextToken: paging.NextTokenQuery = None,  # noqa: N803
) -> paging.Page[WarehouseOut]:
    """The account's warehouses by id, in Zentail's paging shape."""
    page = paging.begin(request, next_token=nextToken, page_length_value=pageLength, query={})
    after_id = int(page.after[0]) if page.after else None
    rows = warehouses.list_warehouses(ctx.scope, after_id=after_id, limit=page.limit + 1)
    return paging.respond(request, page, rows, cursor=lambda w: [w.id], render=render_warehouse)
