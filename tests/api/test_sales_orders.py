"""/v1/salesOrder: create, get, list with the status filter and Zentail's paging."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.factories import new_order
from tests.support import World
from zentail.storage.models import SalesOrder
from zentail.storage.tenancy import AccountScope


def test_create_assigns_order_number_and_get_returns_the_order(
    client: TestClient, world: World
) -> None:
    token = world.account_token(world.account())
    created = client.post("/v1/salesOrder", json=new_order(), headers={"Authorization": token})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "PENDING"
    assert body["products"][0]["lineItemId"] == 1
    fetched = client.get(f"/v1/salesOrder/{body['orderNumber']}", headers={"Authorization": token})
    assert fetched.json() == body


def test_status_filter_takes_several_comma_separated_values(
    client: TestClient, world: World
) -> None:
    token = world.account_token(world.account())
    for index, status in enumerate(["PENDING", "PENDING_PAYMENT", "PENDING"]):
        client.post(
            "/v1/salesOrder", json=new_order(f"C-{index}", status), headers={"Authorization": token}
        )
    pending = client.get("/v1/salesOrder?status=PENDING", headers={"Authorization": token})
    assert [o["channelOrderId"] for o in pending.json()["results"]] == ["C-0", "C-2"]
    both = client.get(
        "/v1/salesOrder?status=PENDING,PENDING_PAYMENT", headers={"Authorization": token}
    )
    assert len(both.json()["results"]) == 3


def test_pages_of_25_follow_next_token_url_to_the_end(client: TestClient, world: World) -> None:
    token = world.account_token(world.account())
    for index in range(30):
        client.post(
            "/v1/salesOrder", json=new_order(f"P-{index:02d}"), headers={"Authorization": token}
        )
    first = client.get("/v1/salesOrder", headers={"Authorization": token}).json()
    assert len(first["results"]) == 25
    assert first["pagination"]["hasNext"] is True
    second = client.get(first["pagination"]["nextToken"], headers={"Authorization": token}).json()
    assert len(second["results"]) == 5
    assert second["pagination"] == {"hasNext": False, "nextToken": None}
    seen = [o["channelOrderId"] for o in first["results"] + second["results"]]
    assert seen == [f"P-{index:02d}" for index in range(30)]


def test_invalid_input_is_a_400_naming_the_field(client: TestClient, world: World) -> None:
    token = world.account_token(world.account())
    body = new_order()
    body["orderTs"] = "2026-05-06T16:49:49"
    response = client.post("/v1/salesOrder", json=body, headers={"Authorization": token})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "orderTs"
    bad_status = client.post(
        "/v1/salesOrder", json=new_order(status="SHIPPED"), headers={"Authorization": token}
    )
    assert bad_status.status_code == 400
    assert bad_status.json()["errors"][0]["field"] == "status"


def test_status_spellings_from_zentails_guides_are_understood(
    client: TestClient, world: World
) -> None:
    token = world.account_token(world.account())
    headers = {"Authorization": token}
    number = client.post("/v1/salesOrder", json=new_order("X"), headers=headers).json()[
        "orderNumber"
    ]
    client.post(f"/v1/salesOrder/cancel/{number}", json={"reason": "x"}, headers=headers)
    recommended = client.get(
        "/v1/salesOrder?status=PENDING,CANCELED,PARTIALLY_CANCELLED", headers=headers
    )
    assert [o["status"] for o in recommended.json()["results"]] == ["CANCELLED"]
    only_partial = client.get("/v1/salesOrder?status=PARTIALLY_CANCELLED", headers=headers)
    assert only_partial.json()["results"] == []
    unknown = client.get("/v1/salesOrder?status=PENDING,SHIPPING", headers=headers)
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == [{"field": "status", "message": "unknown value(s) SHIPPING"}]


def test_last_updated_filter_is_inclusive(client: TestClient, world: World) -> None:
    token = world.account_token(world.account())
    headers = {"Authorization": token}
    order = client.post("/v1/salesOrder", json=new_order("I"), headers=headers).json()
    listed = client.get(
        "/v1/salesOrder", params={"lastUpdatedTs": order["lastUpdatedTs"]}, headers=headers
    ).json()["results"]
    assert [o["orderNumber"] for o in listed] == [order["orderNumber"]]


def test_a_write_is_committed_before_its_response_starts(
    unthrottled_app: FastAPI, world: World
) -> None:
    """Checked at the moment the response starts, from another connection: a partner that
    reads right after a 201 must see the order."""
    account = world.account()
    token = world.account_token(account)
    body = json.dumps(new_order("COMMITTED")).encode()
    seen_at_response_start: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            with world.platform.db.session() as session:
                statement = AccountScope(session, account.id).select(SalesOrder)
                seen_at_response_start.append(len(session.scalars(statement).all()))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/salesOrder",
        "raw_path": b"/v1/salesOrder",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", token.encode()),
            (b"content-type", b"application/json"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(unthrottled_app(scope, receive, send))
    assert seen_at_response_start == [1]
