"""Hostile input at the API edge, on both databases: a clear 4xx, never a 5xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.factories import Seller, new_order
from tests.support import World

# Valid ISO 8601 timestamps with a zone whose instant in UTC lies outside what a datetime
# holds (year 0 or 10000), or right at its edge.
EDGE_TIMESTAMPS = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59.999999Z",
    "0001-01-01T00:30:00+23:59",
]
OAUTH_ENDPOINTS = ["/v1/token", "/v1/revoke", "/v1/introspect"]


@pytest.mark.parametrize("value", EDGE_TIMESTAMPS)
@pytest.mark.parametrize(
    ("path", "name", "field"),
    [
        ("/v1/salesOrder", "lastUpdatedTs", "lastUpdatedTs"),
        ("/v1/salesOrder", "lastUpdateTs", "lastUpdatedTs"),  # the other spelling
        ("/v1/salesOrder", "orderTs", "orderTs"),
        ("/v1/inventory", "lastUpdatedTs", "lastUpdatedTs"),
        ("/v1/listing", "lastUpdateTs", "lastUpdateTs"),
    ],
)
def test_an_unrepresentable_timestamp_filter_is_a_400_naming_it(
    seller: Seller, path: str, name: str, field: str, value: str
) -> None:
    response = seller.get(path, **{name: value})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("value", EDGE_TIMESTAMPS)
def test_an_unrepresentable_timestamp_in_a_body_is_a_400_naming_it(
    seller: Seller, value: str
) -> None:
    order = new_order()
    order["orderTs"] = value
    created = seller.post("/v1/salesOrder", order)
    assert created.status_code == 400, created.text
    assert created.json()["errors"][0]["field"] == "orderTs"
    warehouse = seller.warehouse()
    seller.product("EDGE")
    body = {"products": [{"SKU": "EDGE", "warehouseId": warehouse, "quantity": 1}]}
    updated = seller.post("/v1/inventory", body | {"validAsOf": value})
    assert updated.status_code == 400, updated.text
    assert updated.json()["errors"][0]["field"] == "validAsOf"


@pytest.mark.parametrize("path", OAUTH_ENDPOINTS)
@pytest.mark.parametrize(
    "header",
    [b"Basic \xe9\xe9==", b"Basic \xff\xfe\x80", b"\xe9 \xe9", b"Basic Zm9v\xe9YmFy"],
)
def test_a_basic_header_with_non_ascii_bytes_is_invalid_client(
    client: TestClient, path: str, header: bytes
) -> None:
    response = client.post(
        path,
        content=b"grant_type=authorization_code&code=x&token=y",
        headers={"Authorization": header, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    path=st.sampled_from(OAUTH_ENDPOINTS),
    header=st.binary(max_size=80).filter(lambda raw: b"\r" not in raw and b"\n" not in raw),
    body=st.binary(max_size=200),
)
def test_any_authorization_header_and_form_body_is_a_4xx(
    client: TestClient, path: str, header: bytes, body: bytes
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if header.strip(b" \t\x00"):
        headers["Authorization"] = header.strip(b" \t\x00")  # type: ignore[assignment]
    response = client.post(path, content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    path=st.sampled_from(["/v1/salesOrder", "/v1/warehouses", "/v1/inventory", "/v1/listing"]),
    token=st.text(max_size=300),
)
def test_any_page_token_is_a_400_naming_it(seller: Seller, path: str, token: str) -> None:
    if not token:
        return
    response = seller.get(path, nextToken=token)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == "nextToken"


def test_a_page_token_of_another_endpoint_is_a_400(seller: Seller, world: World) -> None:
    for _ in range(3):
        seller.warehouse()
    first = seller.get("/v1/warehouses", pageLength=1).json()
    token = first["pagination"]["nextToken"].split("nextToken=", 1)[1]
    response = seller.get("/v1/salesOrder", nextToken=token)
    assert response.status_code == 400
