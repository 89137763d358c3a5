"""A seller account seen from a partner: its token, its HTTP calls, and the catalogue rows
(warehouses, products, listings) that reach the platform outside the v1 API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from zentail.domain import inventory, listings, warehouses
from zentail.platform import Platform
from zentail.storage.tenancy import AccountScope


def new_order(
    channel_order_id: str = "CH-1",
    status: str = "PENDING",
    *,
    products: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "channelOrderId": channel_order_id,
        "status": status,
        "orderTs": "2026-05-06T16:49:49.199Z",
        "shippingAddress": {
            "name": "Ada",
            "address1": "1 Main St",
            "city": "Boston",
            "state": "MA",
            "postalCode": "02110",
            "country": "US",
        },
        "products": products or [{"requestedSku": "SKU-1", "quantity": 1, "unitPrice": 10}],
    }


@dataclass
class Seller:
    platform: Platform
    account_id: int
    token: str
    client: TestClient

    def platform_of_client(self) -> Platform:
        """The platform of the application ``client`` drives (its own gateway and caches)."""
        platform: Platform = self.client.app.state.platform  # type: ignore[attr-defined]
        return platform

    @property
    def headers(self) -> dict[str, str]:
        return {"AUTHORIZATION": self.token}

    def get(self, url: str, **params: Any) -> httpx.Response:
        return self.client.get(url, params=params or None, headers=self.headers)

    def post(self, url: str, body: Any = None) -> httpx.Response:
        return self.client.post(url, json=body, headers=self.headers)

    def create_order(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post("/v1/salesOrder", body or new_order())
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def warehouse(self, name: str | None = None, *, can_update_inventory: bool = True) -> int:
        with self.platform.db.session(write=True) as session:
            row = warehouses.add_warehouse(
                AccountScope(session, self.account_id),
                name or f"Warehouse {uuid.uuid4().hex[:8]}",
                unique_id=f"WH-{uuid.uuid4().hex[:6]}",
                can_update_inventory=can_update_inventory,
            )
            return row.id

    def product(self, sku: str, *, listing_id: int | None = None, active: bool = True) -> None:
        with self.platform.db.session(write=True) as session:
            scope = AccountScope(session, self.account_id)
            listing = listings.get_listing(scope, listing_id) if listing_id else None
            inventory.add_product(
                scope,
                sku,
                active=active,
                standard_product_id="012345678905",
                standard_product_id_type="UPC",
                listing=listing,
            )

    def listing(self, sku: str, title: str = "A listing") -> int:
        with self.platform.db.session(write=True) as session:
            row = listings.add_listing(
                AccountScope(session, self.account_id),
                listings.NewListing(
                    sku=sku,
                    title=title,
                    pivot_attributes=["color"],
                    primary_image={"url": "https://img.example/1.jpg", "hash": "abc"},
                    cpsia_warnings={"choking hazard small parts": True},
                    prop65={"required": False},
                ),
            )
            return row.id
