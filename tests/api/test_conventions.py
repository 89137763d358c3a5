"""Cross-cutting conventions: scopes, rate limit, timestamps, paging tokens, error shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.factories import Seller, new_order
from tests.support import World

ENDPOINT_SCOPES = [
    ("GET", "/v1/salesOrder", "salesOrder:read"),
    ("GET", "/v1/salesOrder/1", "salesOrder:read"),
    ("POST", "/v1/salesOrder", "salesOrder:write"),
    ("POST", "/v1/salesOrder/markPaid/1", "salesOrder:write"),
    ("POST", "/v1/salesOrder/cancel/1", "salesOrder:write"),
    ("POST", "/v1/salesOrder/shipments", "salesOrder:write"),
    ("GET", "/v1/warehouses", "warehouse:read"),
    ("GET", "/v1/inventory", "inventory:read"),
    ("GET", "/v1/inventory/SKU-1", "inventory:read"),
    ("POST", "/v1/inventory", "inventory:write"),
    ("GET", "/v1/listing", "listing:read"),
    ("GET", "/v1/listing/1", "listing:read"),
]


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINT_SCOPES)
def test_every_endpoint_requires_its_scope_and_names_it_in_the_403(
    client: TestClient, world: World, method: str, path: str, scope: str
) -> None:
    others = "salesOrder:read" if scope != "salesOrder:read" else "listing:read"
    token = world.account_token(world.account(), scopes=others)
    response = client.request(method, path, headers={"AUTHORIZATION": token}, json={})
    assert response.status_code == 403
    assert scope in response.json()["detail"]
    assert f'scope="{scope}"' in response.headers["www-authenticate"]


def test_openapi_names_each_operations_scope(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for method, path, scope in ENDPOINT_SCOPES:
        template = path.replace("/1", "/{orderNumber}") if "salesOrder/" in path else path
        template = {
            "/v1/inventory/SKU-1": "/v1/inventory/{SKU}",
            "/v1/listing/1": "/v1/listing/{listingid}",
        }.get(template, template)
        operation = document["paths"][template][method.lower()]
        assert operation["security"] == [{"zentail_auth": [scope]}]
        assert f"`{scope}`" in operation["description"]
    assert document["components"]["securitySchemes"]["zentail_auth"]["name"] == "AUTHORIZATION"


def test_over_the_rate_limit_is_a_429_with_retry_after(
    limited_client: TestClient, world: World
) -> None:
    token = world.account_token(world.account())
    statuses = []
    for _ in range(4):
        response = limited_client.get("/v1/warehouses", headers={"AUTHORIZATION": token})
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.json()["status"] == 429
    other_token = world.account_token(world.account())
    assert (
        limited_client.get("/v1/warehouses", headers={"AUTHORIZATION": other_token}).status_code
        == 200
    )


def test_rate_limit_headers_are_on_successes_and_errors(
    limited_client: TestClient, world: World
) -> None:
    token = world.account_token(world.account())
    ok = limited_client.get("/v1/warehouses", headers={"AUTHORIZATION": token})
    assert ok.headers["x-ratelimit-limit"] == "3"
    assert ok.headers["x-ratelimit-remaining"] == "2"
    missing = limited_client.get("/v1/salesOrder/424242", headers={"AUTHORIZATION": token})
    assert missing.status_code == 404
    assert missing.headers["x-ratelimit-remaining"] == "1"


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("lastUpdatedTs", "2026-05-06T16:49:49"),
        ("lastUpdatedTs", "2026-05-06"),
        ("orderTs", "2026-13-06T16:49:49Z"),
        ("orderTs", "2026-02-30T16:49:49Z"),
        ("lastUpdatedTs", "2026-05-06T16:49:49|05:00"),
        ("orderTs", "9999-12-31T23:59:59-01:00"),  # past the last instant in UTC
    ],
)
def test_timestamp_without_zone_or_malformed_is_a_400_naming_it(
    seller: Seller, parameter: str, value: str
) -> None:
    response = seller.get("/v1/salesOrder", **{parameter: value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == parameter


def test_timestamps_with_offsets_are_read_and_written_as_utc_z(seller: Seller) -> None:
    body = new_order()
    body["orderTs"] = "2026-05-06T12:49:49.199-04:00"
    order = seller.create_order(body)
    assert order["orderTs"] == "2026-05-06T16:49:49.199Z"
    listed = seller.get("/v1/salesOrder", orderTs="2026-05-06T18:49:49.199+02:00").json()
    assert [o["orderNumber"] for o in listed["results"]] == [order["orderNumber"]]
    later = seller.get("/v1/salesOrder", orderTs="2026-05-06T16:49:49.200Z").json()
    assert later["results"] == []


def test_a_tampered_or_foreign_next_token_is_a_400_naming_it(seller: Seller) -> None:
    for index in range(3):
        seller.create_order(new_order(f"T-{index}"))
    first = seller.get("/v1/salesOrder", pageLength=1).json()
    token = first["pagination"]["nextToken"].split("nextToken=", 1)[1]
    for bad in (token[:-2] + "xx", "not-a-token"):
        response = seller.get("/v1/salesOrder", nextToken=bad)
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "nextToken"
    foreign = seller.get("/v1/listing", nextToken=token)
    assert foreign.status_code == 400
    assert foreign.json()["errors"][0]["field"] == "nextToken"


def test_pages_stay_consistent_while_rows_change(seller: Seller) -> None:
    numbers = [seller.create_order(new_order(f"K-{index}"))["orderNumber"] for index in range(4)]
    first = seller.get("/v1/salesOrder", pageLength=2).json()
    assert seller.post(f"/v1/salesOrder/markPaid/{numbers[0]}").status_code == 409  # no change
    cancelled = seller.post(f"/v1/salesOrder/cancel/{numbers[1]}", {"reason": "x"})
    assert cancelled.status_code == 200  # its last update moves it to the end
    second = seller.client.get(first["pagination"]["nextToken"], headers=seller.headers).json()
    seen = [o["orderNumber"] for o in first["results"] + second["results"]]
    assert seen == [numbers[0], numbers[1], numbers[2], numbers[3]]
    third = seller.client.get(second["pagination"]["nextToken"], headers=seller.headers).json()
    assert [o["orderNumber"] for o in third["results"]] == [numbers[1]]


def test_a_page_length_outside_1_to_100_is_a_400_naming_it(seller: Seller) -> None:
    for value in (0, 101):
        response = seller.get("/v1/salesOrder", pageLength=value)
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "pageLength"
    assert seller.get("/v1/salesOrder", pageLength=100).status_code == 200


def test_errors_share_one_problem_shape(seller: Seller, client: TestClient) -> None:
    responses = [
        client.get("/v1/warehouses"),
        seller.get("/v1/salesOrder/424242"),
        seller.get("/v1/salesOrder", status="SHIPPED,NOPE"),
        seller.post("/v1/salesOrder", {"channelOrderId": 5}),
        seller.client.put("/v1/warehouses", headers=seller.headers),
    ]
    for response in responses:
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert set(body) >= {"type", "title", "status", "detail"}
        assert body["status"] == response.status_code
    fields = {e["field"] for e in responses[3].json()["errors"]}
    assert {"channelOrderId", "status", "orderTs", "shippingAddress", "products"} <= fields


def test_control_characters_in_text_are_a_400_not_a_server_error(seller: Seller) -> None:
    assert seller.get("/v1/inventory/A%00B").status_code == 400
    assert seller.get("/v1/inventory", skus="A\x00B").status_code == 400
    body = new_order("NUL\x00")
    response = seller.post("/v1/salesOrder", body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "channelOrderId"


def test_malformed_json_is_a_400_naming_the_body(seller: Seller) -> None:
    response = seller.client.post(
        "/v1/salesOrder",
        content=b'{"channelOrderId": ',
        headers=seller.headers | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


def test_both_last_update_spellings_with_different_values_are_a_400(seller: Seller) -> None:
    response = seller.get(
        "/v1/listing", lastUpdateTs="2026-01-01T00:00:00Z", lastUpdatedTs="2026-02-01T00:00:00Z"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "lastUpdatedTs"
    same = "2026-01-01T00:00:00Z"
    assert seller.get("/v1/salesOrder", lastUpdatedTs=same, lastUpdateTs=same).status_code == 200
