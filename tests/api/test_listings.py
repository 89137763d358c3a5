"""GET /v1/listing and GET /v1/listing/{listingid}."""

from __future__ import annotations

from tests.api.factories import Seller


def test_listing_shows_content_and_variants_with_inventory(seller: Seller) -> None:
    listing_id = seller.listing("TEE", "A tee")
    seller.product("TEE-S", listing_id=listing_id)
    seller.product("TEE-M", listing_id=listing_id)
    warehouse = seller.warehouse()
    seller.post(
        "/v1/inventory",
        {
            "products": [{"SKU": "TEE-M", "warehouseId": warehouse, "quantity": 4}],
            "validAsOf": "2026-01-01T00:00:00Z",
        },
    )
    body = seller.get(f"/v1/listing/{listing_id}").json()
    assert body["id"] == str(listing_id)
    assert body["title"] == "A tee"
    assert body["variants"] == [
        {"sku": "TEE-S", "available_inventory": 0},
        {"sku": "TEE-M", "available_inventory": 4},
    ]
    assert body["primary_image"] == {"url": "https://img.example/1.jpg", "hash": "abc"}
    assert body["cpsia_warnings"] == {"choking hazard small parts": True}
    assert body["created_at"].endswith("Z")


def test_unknown_or_malformed_listing_ids_are_404(seller: Seller) -> None:
    for listing_id in ("2000000000", "abc", "99999999999999999999", "-1"):
        assert seller.get(f"/v1/listing/{listing_id}").status_code == 404


def test_list_pages_filters_by_sku_and_last_update(seller: Seller) -> None:
    ids = [seller.listing(f"L-{index}") for index in range(3)]
    seller.product("L-1-VARIANT", listing_id=ids[1])
    first = seller.get("/v1/listing", pageLength=2).json()
    assert [item["id"] for item in first["results"]] == [str(i) for i in ids[:2]]
    assert first["pagination"]["hasNext"] is True
    token = first["pagination"]["nextToken"].split("nextToken=", 1)[1]
    second = seller.get("/v1/listing", nextToken=token, pageLength=50).json()
    assert [item["id"] for item in second["results"]] == [str(ids[2])]
    by_variant = seller.get("/v1/listing", skus="L-1-VARIANT,L-2").json()["results"]
    assert [item["sku"] for item in by_variant] == ["L-1", "L-2"]
    stamp = first["results"][1]["updated_at"]
    since = seller.get("/v1/listing", lastUpdateTs=stamp).json()["results"]
    assert [item["sku"] for item in since][-1] == "L-2"
