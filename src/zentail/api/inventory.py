"""``/v1/inventory``: one SKU, many SKUs (paged) and bulk updates (zentail-api.md §4.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zentail.api import paging, query, timestamps
from zentail.api.auth import ApiContext, require_scope
from zentail.api.errors import ApiError, problem_responses
from zentail.api.query import Timestamp
from zentail.domain import inventory
from zentail.storage.models import InventoryLevel, Product

router = APIRouter(
    prefix="/v1/inventory",
    tags=["Inventory"],
    responses=problem_responses(400, 401, 403, 429, 503),
)

QUANTITY_FIELDS = ("quantity", "delta_quantity", "onhand_quantity")


class WarehouseInventory(BaseModel):
    warehouseId: int  # noqa: N815
    warehouseName: str  # noqa: N815
    warehouseUniqueId: str | None  # noqa: N815
    availableQuantity: int  # noqa: N815
    assembledQuantity: int = Field(description="Always 0: kits are not modelled")  # noqa: N815
    inventoryLocations: list[str] = Field(description="The bin location, when one was sent")  # noqa: N815
    updatedTs: Timestamp  # noqa: N815
    inboundShipments: list[dict[str, Any]] = Field(  # noqa: N815
        description="Always empty: inbound shipments are not part of this API"
    )


class InventoryOut(BaseModel):
    SKU: str
    active: bool
    standardProductId: str | None  # noqa: N815
    standardProductIdType: str | None  # noqa: N815
    totalAvailableQuantity: int  # noqa: N815
    warehouses: list[WarehouseInventory]
    lastInventoryUpdateTs: Timestamp  # noqa: N815


class InventoryItem(BaseModel):
    """One update: exactly one of ``quantity``, ``delta_quantity``, ``onhand_quantity``."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": [name]} for name in QUANTITY_FIELDS]}
    )

    SKU: query.Text
    warehouseId: query.Id = Field(description="A number; a numeric string is accepted too")  # noqa: N815
    quantity: int | None = Field(default=None, ge=0, le=query.MAX_QUANTITY)
    delta_quantity: int | None = Field(default=None, ge=-query.MAX_QUANTITY, le=query.MAX_QUANTITY)
    onhand_quantity: int | None = Field(default=None, ge=0, le=query.MAX_QUANTITY)
    binLocation: query.OptionalText | None = None  # noqa: N815

    @model_validator(mode="after")
    def _exactly_one_quantity(self) -> InventoryItem:
        given = [name for name in QUANTITY_FIELDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"exactly one of {', '.join(QUANTITY_FIELDS)} is required")
        return self


class InventoryUpdateRequest(BaseModel):
    products: list[InventoryItem] = Field(min_length=1, max_length=inventory.MAX_UPDATES)
    validAsOf: Timestamp = Field(  # noqa: N815
        description="When the quantities were counted (ISO 8601 with a zone, not in the future)"
    )


class LevelOut(BaseModel):
    SKU: str
    warehouseId: int  # noqa: N815
    availableQuantity: int  # noqa: N815
    updatedTs: Timestamp  # noqa: N815


class InventoryUpdateResult(BaseModel):
    results: list[LevelOut] = Field(description="The new levels, in request order")


def render_product(product: Product) -> InventoryOut:
    return InventoryOut(
        SKU=product.sku,
        active=product.active,
        standardProductId=product.standard_product_id,
        standardProductIdType=product.standard_product_id_type,
        totalAvailableQuantity=sum(level.available_quantity for level in product.levels),
        warehouses=[render_level(level) for level in product.levels],
        lastInventoryUpdateTs=timestamps.render(product.last_inventory_update_ts),
    )


def render_level(level: InventoryLevel) -> WarehouseInventory:
    return WarehouseInventory(
        warehouseId=level.warehouse_id,
        warehouseName=level.warehouse.name,
        warehouseUniqueId=level.warehouse.unique_id,
        availableQuantity=level.available_quantity,
        assembledQuantity=0,
        inventoryLocations=[level.bin_location] if level.bin_location else [],
        updatedTs=timestamps.render(level.updated_ts),
        inboundShipments=[],
    )


def inventory_filter(params: Mapping[str, Any]) -> inventory.InventoryFilter:
    filters = inventory.InventoryFilter(
        skus=query.split_list(params.get("skus"), "skus"),
        case_sensitive=bool(params.get("isCaseSensitive")),
        updated_from=query.timestamp(params.get("lastUpdatedTs"), "lastUpdatedTs"),
        warehouse_ids=query.int_list(params.get("warehouses"), "warehouses"),
        active_only=bool(params.get("activeOnly")),
    )
    if not (filters.skus or filters.updated_from or filters.warehouse_ids):
        raise ApiError(
            400,
            "At least one of lastUpdatedTs, skus or warehouses is required",
            errors=[
                {"field": name, "message": "at least one of these is required"}
                for name in ("lastUpdatedTs", "skus", "warehouses")
            ],
        )
    return filters


@router.get("", response_model=paging.Page[InventoryOut], summary="List inventory")
def list_inventory(
    request: Request,
    ctx: Annotated[ApiContext, require_scope("inventory:read")],
    lastUpdatedTs: Annotated[  # noqa: N803
        str | None,
        Query(
            json_schema_extra=query.TIMESTAMP_FORMAT,
            description="SKUs whose inventory changed at or after this time (inclusive)",
        ),
    ] = None,
    lastUpdateTs: Annotated[  # noqa: N803
        str | None,
        Query(
            json_schema_extra=query.TIMESTAMP_FORMAT,
            description="Another spelling of lastUpdatedTs",
        ),
    ] = None,
    skus: Annotated[
        str | None,
        Query(
            description="Comma-separated SKUs (at most 100); when given, lastUpdatedTs and "
            "warehouses are ignored",
            pattern=query.NO_CONTROL_CHARS,
        ),
    ] = None,
    warehouses: Annotated[
        str | None,
        Query(description="Comma-separated warehouse ids: SKUs stocked in any of them"),
    ] = None,
    activeOnly: Annotated[bool, Query(description="Only active SKUs")] = False,  # noqa: N803
    isCaseSensitive: Annotated[  # noqa: N803
        bool, Query(description="Match skus case-sensitively (default: not)")
    ] = False,
    pageLength: paging.PageLengthQuery = None,  # noqa: N803
    nextToken: paging.NextTokenQuery = None,  # noqa: N803
) -> paging.Page[InventoryOut]:
    """Inventory of many SKUs, oldest inventory update first. At least one of
    ``lastUpdatedTs``, ``skus`` or ``warehouses`` is required."""
    page = paging.begin(
        request,
        next_token=nextToken,
        page_length_value=pageLength,
        query={
            "lastUpdatedTs": query.last_updated(
                lastUpdatedTs, lastUpdateTs, names=("lastUpdatedTs", "lastUpdateTs")
            ),
            "skus": skus,
            "warehouses": warehouses,
            "activeOnly": activeOnly or None,
            "isCaseSensitive": isCaseSensitive or None,
        },
    )
    rows = inventory.list_products(
        ctx.scope,
        inventory_filter(page.query),
        after=paging.time_cursor(page),
        limit=page.limit + 1,
    )
    return paging.respond(
        request,
        page,
        rows,
        cursor=lambda p: paging.time_key(p.last_inventory_update_ts, p.id),
        render=render_product,
    )


@router.get(
    "/{SKU:path}",
    response_model=InventoryOut,
    summary="Get one SKU's inventory",
    responses=problem_responses(404),
)
def get_inventory(
    SKU: Annotated[  # noqa: N803
        str,
        Path(description="The SKU (exact match)", max_length=200, pattern=query.NO_CONTROL_CHARS),
    ],
    ctx: Annotated[ApiContext, require_scope("inventory:read")],
) -> InventoryOut:
    """Available quantity of one SKU in every warehouse, and in total."""
    return render_product(inventory.get_product(ctx.scope, SKU))


@router.post(
    "",
    response_model=InventoryUpdateResult,
    summary="Update inventory (up to 50 items)",
    responses=problem_responses(404, 409),
)
def update_inventory(
    body: InventoryUpdateRequest,
    ctx: Annotated[ApiContext, require_scope("inventory:write", write=True)],
) -> InventoryUpdateResult:
    """Set available quantities, all items or none. Each item has exactly one of:
    ``quantity`` (absolute; less the units of open orders placed after ``validAsOf``),
    ``delta_quantity`` (added; may be negative), ``onhand_quantity`` (absolute, less the
    units reserved by open orders routed to the warehouse). Results below zero are stored
    as zero. An unknown ``SKU`` or ``warehouseId`` is a 404 naming the item; a warehouse
    whose ``canUpdateInventory`` is false is a 409."""
    levels = inventory.apply_updates(
        ctx.scope,
        [
            inventory.InventoryUpdate(
                sku=item.SKU,
                warehouse_id=item.warehouseId,
                quantity=item.quantity,
                delta_quantity=item.delta_quantity,
                onhand_quantity=item.onhand_quantity,
                bin_location=item.binLocation,
            )
            for item in body.products
        ],
        valid_as_of=timestamps.parse(body.validAsOf, "validAsOf"),
    )
    return InventoryUpdateResult(
        results=[
            LevelOut(
                SKU=item.SKU,
                warehouseId=level.warehouse_id,
                availableQuantity=level.available_quantity,
                updatedTs=timestamps.render(level.updated_ts),
            )
            for item, level in zip(body.products, levels, strict=True)
        ]
    )
