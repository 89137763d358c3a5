"""Warehouses and inventory: GET /v1/warehouses, GET/POST /v1/inventory."""

from __future__ import annotations

from typing import Any

from tests.api.factories import Seller, new_order

VALID_AS_OF = "2026-01-01T00:00:00Z"


def update(seller: Seller, *items: dict[str, Any], valid_as_of: str = VALID_AS_OF) -> Any:
    return seller.post("/v1/inventory", {"products": list(items), "validAsOf": valid_as_of})


def test_warehouses_list_their_ids_names_and_unique_ids(seller: Seller) -> None:
    first = seller.warehouse("East")
    seller.warehouse("West", can_update_inventory=False)
    body = seller.get("/v1/warehouses").json()
    assert (body["results"][0]["warehouseId"], body["results"][0]["name"]) == (first, "East")
    assert [w["canUpdateInventory"] for w in body["results"]] == [True, False]
    assert body["pagination"] == {"hasNext": False, "nextToken": None}


def test_quantity_delta_and_onhand_updates(seller: Seller) -> None:
    warehouse = seller.warehouse("Main")
    seller.product("MUG")
    absolute = update(seller, {"SKU": "MUG", "warehouseId": warehouse, "quantity": 10})
    assert absolute.status_code == 200, absolute.text
    assert absolute.json()["results"][0]["availableQuantity"] == 10
    delta = update(seller, {"SKU": "MUG", "warehouseId": str(warehouse), "delta_quantity": -3})
    assert delta.json()["results"][0]["availableQuantity"] == 7
    seller.create_order(
        new_order(
            products=[
                {"requestedSku": "MUG", "quantity": 2, "unitPrice": 1, "warehouseId": warehouse}
            ]
        )
    )
    onhand = update(seller, {"SKU": "MUG", "warehouseId": warehouse, "onhand_quantity": 5})
    assert onhand.json()["results"][0]["availableQuantity"] == 3
    floor = update(seller, {"SKU": "MUG", "warehouseId": warehouse, "delta_quantity": -100})
    assert floor.json()["results"][0]["availableQuantity"] == 0


def test_quantity_counted_before_an_order_loses_its_units(seller: Seller) -> None:
    warehouse = seller.warehouse()
    seller.product("CAP")
    body = new_order(
        products=[{"requestedSku": "CAP", "quantity": 4, "unitPrice": 1, "warehouseId": warehouse}]
    )
    body["orderTs"] = "2026-03-01T00:00:00Z"
    seller.create_order(body)
    before = update(
        seller,
        {"SKU": "CAP", "warehouseId": warehouse, "quantity": 10},
        valid_as_of="2026-02-01T00:00:00Z",
    )
    assert before.json()["results"][0]["availableQuantity"] == 6
    after = update(
        seller,
        {"SKU": "CAP", "warehouseId": warehouse, "quantity": 10},
        valid_as_of="2026-04-01T00:00:00Z",
    )
    assert after.json()["results"][0]["availableQuantity"] == 10


def test_get_by_sku_shows_every_warehouse_and_the_total(seller: Seller) -> None:
    east, west = seller.warehouse("East"), seller.warehouse("West")
    seller.product("TEE/RED")
    update(
        seller,
        {"SKU": "TEE/RED", "warehouseId": east, "quantity": 2, "binLocation": "A-1"},
        {"SKU": "TEE/RED", "warehouseId": west, "quantity": 3},
    )
    body = seller.get("/v1/inventory/TEE/RED").json()
    assert body["SKU"] == "TEE/RED"
    assert body["totalAvailableQuantity"] == 5
    assert body["standardProductIdType"] == "UPC"
    assert [(w["warehouseName"], w["availableQuantity"]) for w in body["warehouses"]] == [
        ("East", 2),
        ("West", 3),
    ]
    assert body["warehouses"][0]["inventoryLocations"] == ["A-1"]
    assert body["lastInventoryUpdateTs"].endswith("Z")
    assert seller.get("/v1/inventory/NOPE").status_code == 404


def test_each_item_needs_exactly_one_quantity(seller: Seller) -> None:
    warehouse = seller.warehouse()
    seller.product("MUG")
    for item in (
        {"SKU": "MUG", "warehouseId": warehouse},
        {"SKU": "MUG", "warehouseId": warehouse, "quantity": 1, "delta_quantity": 1},
    ):
        response = update(seller, {"SKU": "MUG", "warehouseId": warehouse, "quantity": 1}, item)
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "products.1"


def test_bulk_update_limits_and_references(seller: Seller) -> None:
    warehouse = seller.warehouse()
    seller.product("MUG")
    item = {"SKU": "MUG", "warehouseId": warehouse, "quantity": 1}
    assert update(seller, *[item] * 51).json()["errors"][0]["field"] == "products"
    assert update(seller, *[item] * 50).status_code == 200
    unknown = update(seller, {"SKU": "NOPE", "warehouseId": warehouse, "quantity": 1})
    assert unknown.status_code == 404
    assert "products.0.SKU" in unknown.json()["detail"]
    future = update(seller, item, valid_as_of="2999-01-01T00:00:00Z")
    assert future.json()["errors"] == [
        {"field": "validAsOf", "message": "must not be in the future"}
    ]
    no_zone = update(seller, item, valid_as_of="2026-01-01T00:00:00")
    assert no_zone.json()["errors"][0]["field"] == "validAsOf"
    managed = seller.warehouse(can_update_inventory=False)
    refused = update(seller, {"SKU": "MUG", "warehouseId": managed, "quantity": 1})
    assert refused.status_code == 409


def test_list_needs_a_filter_and_pages_by_last_update(seller: Seller) -> None:
    warehouse = seller.warehouse()
    other = seller.warehouse()
    missing = seller.get("/v1/inventory")
    assert missing.status_code == 400
    assert {e["field"] for e in missing.json()["errors"]} == {"lastUpdatedTs", "skus", "warehouses"}
    for sku in ("A", "B", "C"):
        seller.product(sku)
        update(seller, {"SKU": sku, "warehouseId": warehouse, "quantity": 1})
    seller.product("D")
    update(seller, {"SKU": "D", "warehouseId": other, "quantity": 1})
    first = seller.get("/v1/inventory", warehouses=str(warehouse), pageLength=2).json()
    assert [p["SKU"] for p in first["results"]] == ["A", "B"]
    second = seller.client.get(first["pagination"]["nextToken"], headers=seller.headers).json()
    assert [p["SKU"] for p in second["results"]] == ["C"]
    assert second["pagination"]["hasNext"] is False


def test_skus_filter_is_case_insensitive_unless_asked_and_accepts_quotes(seller: Seller) -> None:
    seller.product("Mug-Blue")
    seller.product("CAP")
    listed = seller.get("/v1/inventory", skus="'mug-blue,cap'").json()["results"]
    assert sorted(p["SKU"] for p in listed) == ["CAP", "Mug-Blue"]
    exact = seller.get("/v1/inventory", skus="mug-blue,CAP", isCaseSensitive="true").json()
    assert [p["SKU"] for p in exact["results"]] == ["CAP"]


def test_last_updated_filter_is_inclusive_and_accepts_both_spellings(seller: Seller) -> None:
    warehouse = seller.warehouse()
    seller.product("MUG")
    updated = update(seller, {"SKU": "MUG", "warehouseId": warehouse, "quantity": 1})
    stamp = updated.json()["results"][0]["updatedTs"]
    for name in ("lastUpdatedTs", "lastUpdateTs"):
        listed = seller.get("/v1/inventory", **{name: stamp}).json()["results"]
        assert [p["SKU"] for p in listed] == ["MUG"], name
