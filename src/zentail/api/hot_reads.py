"""The fast lane's reads (:mod:`zentail.api.fast_lane`): one prebuilt, account-scoped
statement each, rendered to the same JSON as the FastAPI endpoints' response models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam

from zentail.api import paging
from zentail.domain.tokens import Principal
from zentail.platform import Platform
from zentail.storage.gateway import Statement
from zentail.storage.models import Warehouse
from zentail.storage.tenancy import tenant_select

WAREHOUSES_AFTER = Statement.build(
    tenant_select(
        Warehouse, Warehouse.id, Warehouse.unique_id, Warehouse.name, Warehouse.can_update_inventory
    )
    .where(Warehouse.id > bindparam("after_id"))
    .order_by(Warehouse.id)
    .limit(bindparam("limit"))
)


def page_length(query: Mapping[str, str]) -> int | None:
    """``pageLength`` as the fast lane let it through: digits, 1 to 100."""
    value = query.get("pageLength")
    return None if value is None else int(value)


async def warehouses_page(
    platform: Platform, principal: Principal, query: Mapping[str, str], path: str
) -> dict[str, Any]:
    """``GET /v1/warehouses`` (see :func:`zentail.api.warehouses.list_warehouses`)."""
    page = paging.begin_page(
        platform.keyring,
        path,
        next_token=query.get("nextToken"),
        page_length_value=page_length(query),
        query={},
    )
    after_id = int(page.after[0]) if page.after else 0
    rows = await platform.gateway.fetch_all(
        WAREHOUSES_AFTER,
        {"account_id": principal.account_id, "after_id": after_id, "limit": page.limit + 1},
    )
    shown, next_url = paging.split_page(
        platform.keyring, platform.settings.issuer, path, page, rows, lambda row: [row[0]]
    )
    return {
        "results": [
            {
                "warehouseId": row[0],
                "warehouseUniqueId": row[1],
                "name": row[2],
                "canUpdateInventory": bool(row[3]),
            }
            for row in shown
        ],
        "pagination": {"hasNext": next_url is not None, "nextToken": next_url},
    }
