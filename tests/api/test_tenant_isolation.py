"""Every resource is account-scoped: what account A writes, account B (a token from the
install flow, like A's) never sees — 404 for A's objects, never 403, and lists without
them. Writes that name A's objects are 404 too."""

from __future__ import annotations

from tests.api.factories import Seller, new_order


def test_another_accounts_sales_orders_are_unlisted_404_and_unchangeable(
    seller: Seller, other_seller: Seller
) -> None:
    a, b = seller, other_seller
    b.create_order(new_order("B-OWN"))
    a.create_order(new_order("A-1"))
    order = a.create_order(new_order("A-2", "PENDING_PAYMENT"))
    listed = b.get("/v1/salesOrder").json()["results"]
    assert [o["channelOrderId"] for o in listed] == ["B-OWN"]
    assert b.get("/v1/salesOrder", channelOrderIds="A-1,A-2").json()["results"] == []
    number = order["orderNumber"]  # B has no order with A's second number
    assert b.get(f"/v1/salesOrder/{number}").status_code == 404
    assert b.post(f"/v1/salesOrder/markPaid/{number}").status_code == 404
    assert b.post(f"/v1/salesOrder/cancel/{number}", {"reason": "x"}).status_code == 404
    assert a.get(f"/v1/salesOrder/{number}").json()["status"] == "PENDING_PAYMENT"


def test_a_shipment_cannot_name_another_accounts_order_or_warehouse(
    seller: Seller, other_seller: Seller
) -> None:
    a, b = seller, other_seller
    warehouse_a = a.warehouse()
    number = a.create_order(new_order("A-1"))["orderNumber"]
    a.create_order(new_order("A-2"))  # A's numbers run past B's
    b.create_order(new_order("B-1"))
    package = {
        "orderNumber": number + 1,
        "fulfillmentPackageId": "P1",
        "warehouseId": b.warehouse(),
        "carrier": "UPS",
        "tracking": "1Z",
        "service_level": "Ground",
        "products": [{"sku": "SKU-1", "quantity": 1}],
    }
    response = b.post("/v1/salesOrder/shipments", {"packages": [package]})
    assert response.status_code == 404
    assert "packages.0.orderNumber" in response.json()["detail"]
    package["orderNumber"] = 10_000_001  # B's own first order, with A's warehouse
    package["warehouseId"] = warehouse_a
    response = b.post("/v1/salesOrder/shipments", {"packages": [package]})
    assert response.status_code == 404
    assert "packages.0.warehouseId" in response.json()["detail"]
    assert a.get(f"/v1/salesOrder/{number}").json()["packages"] == []


def test_orders_cannot_be_routed_to_another_accounts_warehouse(
    seller: Seller, other_seller: Seller
) -> None:
    warehouse_a = seller.warehouse()
    body = new_order(
        products=[{"requestedSku": "X", "quantity": 1, "unitPrice": 1, "warehouseId": warehouse_a}]
    )
    response = other_seller.post("/v1/salesOrder", body)
    assert response.status_code == 404
    assert "products.0.warehouseId" in response.json()["detail"]
    assert other_seller.get("/v1/salesOrder", warehouseId=warehouse_a).json()["results"] == []


def test_another_accounts_warehouses_are_not_listed(seller: Seller, other_seller: Seller) -> None:
    seller.warehouse("A's warehouse")
    mine = other_seller.warehouse("B's warehouse")
    listed = other_seller.get("/v1/warehouses").json()["results"]
    assert [w["warehouseId"] for w in listed] == [mine]


def test_another_accounts_inventory_is_invisible_and_unwritable(
    seller: Seller, other_seller: Seller
) -> None:
    a, b = seller, other_seller
    warehouse_a = a.warehouse()
    a.product("SHARED-SKU")
    a.product("A-ONLY")
    items = [
        {"SKU": "SHARED-SKU", "warehouseId": warehouse_a, "quantity": 7},
        {"SKU": "A-ONLY", "warehouseId": warehouse_a, "quantity": 1},
    ]
    written = a.post("/v1/inventory", {"products": items, "validAsOf": "2026-01-01T00:00:00Z"})
    assert written.status_code == 200
    assert b.get("/v1/inventory/A-ONLY").status_code == 404
    assert b.get("/v1/inventory", skus="SHARED-SKU,A-ONLY").json()["results"] == []
    assert b.get("/v1/inventory", warehouses=str(warehouse_a)).json()["results"] == []
    since = b.get("/v1/inventory", lastUpdatedTs="2000-01-01T00:00:00Z").json()["results"]
    assert since == []
    b.product("SHARED-SKU")
    b.warehouse()
    refused = b.post(
        "/v1/inventory",
        {"products": [items[0] | {"quantity": 0}], "validAsOf": "2026-01-01T00:00:00Z"},
    )
    assert refused.status_code == 404
    assert a.get("/v1/inventory/SHARED-SKU").json()["totalAvailableQuantity"] == 7
    assert b.get("/v1/inventory/SHARED-SKU").json()["totalAvailableQuantity"] == 0


def test_another_accounts_listings_are_404_and_not_listed(
    seller: Seller, other_seller: Seller
) -> None:
    listing_a = seller.listing("A-LISTING")
    listing_b = other_seller.listing("B-LISTING")
    assert other_seller.get(f"/v1/listing/{listing_a}").status_code == 404
    listed = other_seller.get("/v1/listing").json()["results"]
    assert [item["id"] for item in listed] == [str(listing_b)]
    assert other_seller.get("/v1/listing", skus="A-LISTING").json()["results"] == []


def test_next_token_of_one_account_shows_another_only_its_own_rows(
    seller: Seller, other_seller: Seller
) -> None:
    for index in range(3):
        seller.create_order(new_order(f"A-{index}"))
    other_seller.create_order(new_order("B-0"))
    next_url = seller.get("/v1/salesOrder", pageLength=1).json()["pagination"]["nextToken"]
    seen = other_seller.client.get(next_url, headers=other_seller.headers).json()["results"]
    assert [o["channelOrderId"] for o in seen] == ["B-0"]  # lie past the cursor too
