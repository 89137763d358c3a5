"""POST /v1/salesOrder/shipments: packages cover units; PARTIALLY_SHIPPED, then SHIPPED."""

from __future__ import annotations

from typing import Any

from tests.api.factories import Seller, new_order


def package(number: int, warehouse_id: int, package_id: str, **products: int) -> dict[str, Any]:
    return {
        "orderNumber": number,
        "fulfillmentPackageId": package_id,
        "warehouseId": warehouse_id,
        "carrier": "UPS",
        "tracking": f"1Z{package_id}",
        "service_level": "Ground",
        "products": [{"sku": sku, "quantity": qty} for sku, qty in products.items()],
    }


def two_line_order(seller: Seller, warehouse_id: int) -> int:
    body = new_order(
        products=[
            {"requestedSku": "MUG", "quantity": 2, "unitPrice": 5, "warehouseId": warehouse_id},
            {"requestedSku": "CAP", "quantity": 1, "unitPrice": 9, "warehouseId": warehouse_id},
        ]
    )
    number: int = seller.create_order(body)["orderNumber"]
    return number


def test_order_ships_partially_then_fully(seller: Seller) -> None:
    warehouse = seller.warehouse()
    number = two_line_order(seller, warehouse)
    first = seller.post(
        "/v1/salesOrder/shipments", {"packages": [package(number, warehouse, "P1", MUG=1)]}
    )
    assert first.status_code == 200, first.text
    assert first.json()["orders"] == [{"orderNumber": number, "status": "PARTIALLY_SHIPPED"}]
    second = seller.post(
        "/v1/salesOrder/shipments", {"packages": [package(number, warehouse, "P2", MUG=1, CAP=1)]}
    )
    assert second.json()["orders"] == [{"orderNumber": number, "status": "SHIPPED"}]
    order = seller.get(f"/v1/salesOrder/{number}").json()
    assert [line["shippedQuantity"] for line in order["products"]] == [2, 1]
    assert [p["fulfillmentPackageId"] for p in order["packages"]] == ["P1", "P2"]
    assert order["packages"][1]["products"] == [
        {"sku": "MUG", "quantity": 1},
        {"sku": "CAP", "quantity": 1},
    ]


def test_a_unit_ships_only_once(seller: Seller) -> None:
    warehouse = seller.warehouse()
    number = two_line_order(seller, warehouse)
    response = seller.post(
        "/v1/salesOrder/shipments", {"packages": [package(number, warehouse, "P1", MUG=3)]}
    )
    assert response.status_code == 409
    assert "a unit ships only once" in response.json()["detail"]
    assert seller.get(f"/v1/salesOrder/{number}").json()["status"] == "PENDING"


def test_a_call_is_all_or_nothing(seller: Seller) -> None:
    warehouse = seller.warehouse()
    number = two_line_order(seller, warehouse)
    response = seller.post(
        "/v1/salesOrder/shipments",
        {
            "packages": [
                package(number, warehouse, "P1", MUG=2),
                package(number, warehouse, "P2", CAP=2),
            ]
        },
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("packages.1:")
    order = seller.get(f"/v1/salesOrder/{number}").json()
    assert order["packages"] == []
    assert order["status"] == "PENDING"


def test_one_call_ships_packages_of_several_orders(seller: Seller) -> None:
    warehouse = seller.warehouse()
    first, second = two_line_order(seller, warehouse), two_line_order(seller, warehouse)
    response = seller.post(
        "/v1/salesOrder/shipments",
        {
            "packages": [
                package(first, warehouse, "A", MUG=2, CAP=1),
                package(second, warehouse, "B", CAP=1),
            ]
        },
    )
    assert response.json()["orders"] == [
        {"orderNumber": first, "status": "SHIPPED"},
        {"orderNumber": second, "status": "PARTIALLY_SHIPPED"},
    ]


def test_shipping_what_cannot_ship_is_a_409(seller: Seller) -> None:
    warehouse = seller.warehouse()
    unpaid = seller.create_order(new_order(status="PENDING_PAYMENT"))["orderNumber"]
    response = seller.post(
        "/v1/salesOrder/shipments", {"packages": [package(unpaid, warehouse, "P", **{"SKU-1": 1})]}
    )
    assert response.status_code == 409
    assert "PENDING_PAYMENT" in response.json()["detail"]
    number = two_line_order(seller, warehouse)
    seller.post("/v1/salesOrder/shipments", {"packages": [package(number, warehouse, "P", MUG=1)]})
    duplicate = seller.post(
        "/v1/salesOrder/shipments", {"packages": [package(number, warehouse, "P", MUG=1)]}
    )
    assert duplicate.status_code == 409
    assert "already recorded" in duplicate.json()["detail"]


def test_bad_packages_name_their_field(seller: Seller) -> None:
    warehouse = seller.warehouse()
    number = two_line_order(seller, warehouse)
    not_on_order = seller.post(
        "/v1/salesOrder/shipments", {"packages": [package(number, warehouse, "P", HAT=1)]}
    )
    assert not_on_order.status_code == 400
    assert not_on_order.json()["errors"][0]["field"] == "packages.0.products.0.sku"
    too_many = seller.post(
        "/v1/salesOrder/shipments",
        {"packages": [package(number, warehouse, f"P{i}") for i in range(51)]},
    )
    assert too_many.status_code == 400
    assert too_many.json()["errors"][0]["field"] == "packages"
    unknown_warehouse = seller.post(
        "/v1/salesOrder/shipments", {"packages": [package(number, 2_000_000_000, "P", MUG=1)]}
    )
    assert unknown_warehouse.status_code == 404
    assert "packages.0.warehouseId" in unknown_warehouse.json()["detail"]
    missing = {k: v for k, v in package(number, warehouse, "P").items() if k != "tracking"}
    response = seller.post("/v1/salesOrder/shipments", {"packages": [missing]})
    assert response.json()["errors"][0]["field"] == "packages.0.tracking"


def test_warehouse_filter_shows_only_that_warehouses_lines(seller: Seller) -> None:
    east, west = seller.warehouse(), seller.warehouse()
    body = new_order(
        products=[
            {"requestedSku": "MUG", "quantity": 1, "unitPrice": 5, "warehouseId": east},
            {"requestedSku": "CAP", "quantity": 1, "unitPrice": 9, "warehouseId": west},
        ]
    )
    number = seller.create_order(body)["orderNumber"]
    seller.create_order(new_order("ELSEWHERE"))
    listed = seller.get("/v1/salesOrder", warehouseId=east).json()["results"]
    assert [o["orderNumber"] for o in listed] == [number]
    assert [line["requestedSku"] for line in listed[0]["products"]] == ["MUG"]
