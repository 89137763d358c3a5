"""Every Open API endpoint over real HTTP against a running server, with a token obtained
through the install flow, as a partner client would call it (honouring 429 Retry-After)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support import LiveServer, World, exchange
from zentail.domain import inventory, listings, warehouses
from zentail.domain.scopes import ALL_SCOPES, join_scopes
from zentail.storage.tenancy import AccountScope


def call(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; on 429, wait as ``Retry-After`` says and send it again."""
    while True:
        response = client.request(method, url, **kwargs)
        if response.status_code != 429:
            assert "x-ratelimit-remaining" in response.headers
            return response
        time.sleep(int(response.headers["retry-after"]))


def test_every_endpoint_answers_over_http(live_server: LiveServer, world: World) -> None:
    partner, account = world.app(scopes=join_scopes(ALL_SCOPES)), world.account()
    with httpx.Client(base_url=live_server.base_url, timeout=10) as client:
        token = exchange(client, partner, world.code(partner, account)).json()["access_token"]
        with world.platform.db.session(write=True) as session:
            scope = AccountScope(session, account.id)
            warehouse_id = warehouses.add_warehouse(scope, "HTTP warehouse").id
            listing = listings.add_listing(scope, listings.NewListing(sku="HTTP", title="Http"))
            inventory.add_product(scope, "HTTP-1", listing=listing)
            listing_id = listing.id
        client.headers["AUTHORIZATION"] = token
        line = {
            "requestedSku": "HTTP-1",
            "quantity": 2,
            "unitPrice": 3,
            "warehouseId": warehouse_id,
        }
        order = {
            "channelOrderId": "HTTP-ORDER",
            "status": "PENDING_PAYMENT",
            "orderTs": "2026-05-06T16:49:49.199Z",
            "shippingAddress": {
                "name": "Ada",
                "address1": "1 Main St",
                "city": "Boston",
                "state": "MA",
                "postalCode": "02110",
                "country": "US",
            },
            "products": [line],
        }
        number = call(client, "POST", "/v1/salesOrder", json=order).json()["orderNumber"]
        assert call(client, "POST", f"/v1/salesOrder/markPaid/{number}").status_code == 200
        package = {
            "orderNumber": number,
            "fulfillmentPackageId": "HTTP-PKG",
            "warehouseId": warehouse_id,
            "carrier": "USPS",
            "tracking": "9400",
            "service_level": "Priority",
            "products": [{"sku": "HTTP-1", "quantity": 2}],
        }
        shipped = call(client, "POST", "/v1/salesOrder/shipments", json={"packages": [package]})
        assert shipped.json()["orders"] == [{"orderNumber": number, "status": "SHIPPED"}]
        second = call(client, "POST", "/v1/salesOrder", json=order | {"channelOrderId": "H2"})
        cancelled = call(
            client,
            "POST",
            f"/v1/salesOrder/cancel/{second.json()['orderNumber']}",
            json={"reason": "CUSTOMER_REQUESTED"},
        )
        assert cancelled.json()["status"] == "CANCELLED"
        listed = call(client, "GET", "/v1/salesOrder", params={"status": "SHIPPED,CANCELLED"})
        assert [o["status"] for o in listed.json()["results"]] == ["SHIPPED", "CANCELLED"]
        assert call(client, "GET", f"/v1/salesOrder/{number}").json()["status"] == "SHIPPED"
        warehouses_page = call(client, "GET", "/v1/warehouses").json()
        assert [w["warehouseId"] for w in warehouses_page["results"]] == [warehouse_id]
        update = {
            "products": [{"SKU": "HTTP-1", "warehouseId": warehouse_id, "quantity": 9}],
            "validAsOf": "2026-01-01T00:00:00Z",
        }
        assert call(client, "POST", "/v1/inventory", json=update).status_code == 200
        assert call(client, "GET", "/v1/inventory/HTTP-1").json()["totalAvailableQuantity"] == 9
        by_sku = call(client, "GET", "/v1/inventory", params={"skus": "HTTP-1"}).json()
        assert [p["SKU"] for p in by_sku["results"]] == ["HTTP-1"]
        listings_page = call(client, "GET", "/v1/listing").json()
        assert [item["id"] for item in listings_page["results"]] == [str(listing_id)]
        one = call(client, "GET", f"/v1/listing/{listing_id}").json()
        assert one["variants"] == [{"sku": "HTTP-1", "available_inventory": 9}]
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 200
