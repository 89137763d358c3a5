"""Bearer authentication on the Open API and tenant isolation of sales orders."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support import World, exchange


def new_order(channel_order_id: str = "CH-1", status: str = "PENDING") -> dict[str, Any]:
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
        "products": [{"requestedSku": "SKU-1", "quantity": 1, "unitPrice": 10}],
    }


def test_raw_and_bearer_forms_of_the_token_are_both_accepted(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    token = exchange(client, app, world.code(app, account)).json()["access_token"]
    assert client.get("/v1/salesOrder", headers={"AUTHORIZATION": token}).status_code == 200
    bearer = client.get("/v1/salesOrder", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200


def test_missing_or_unknown_token_is_401_with_bearer_challenge(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "ztk_unknown"}, {"Authorization": "Bearer"}):
        response = client.get("/v1/salesOrder", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.headers["content-type"] == "application/problem+json"


def test_authorization_code_is_refused_as_an_api_token(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    assert client.get("/v1/salesOrder", headers={"Authorization": code}).status_code == 401


def test_token_of_account_a_never_reads_orders_of_account_b(
    client: TestClient, world: World
) -> None:
    app, seller_a, seller_b = world.app(), world.account(), world.account()
    token_a = exchange(client, app, world.code(app, seller_a)).json()["access_token"]
    token_b = exchange(client, app, world.code(app, seller_b)).json()["access_token"]
    order_b = client.post(
        "/v1/salesOrder", json=new_order("B-1"), headers={"Authorization": token_b}
    ).json()
    client.post("/v1/salesOrder", json=new_order("A-1"), headers={"Authorization": token_a})

    listed = client.get("/v1/salesOrder", headers={"Authorization": token_a}).json()["results"]
    assert [o["channelOrderId"] for o in listed] == ["A-1"]
    fetched = client.get(
        f"/v1/salesOrder/{order_b['orderNumber']}", headers={"Authorization": token_a}
    )
    # order numbers are per account: B's first order and A's first order share a number,
    # so A reading that number sees its own order, never B's
    assert fetched.status_code == 200
    assert fetched.json()["channelOrderId"] == "A-1"
    missing = client.get(
        f"/v1/salesOrder/{order_b['orderNumber'] + 1}", headers={"Authorization": token_a}
    )
    assert missing.status_code == 404


def test_uninstall_makes_the_token_401_at_once(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    token = exchange(client, app, world.code(app, account)).json()["access_token"]
    world.uninstall(app, account)
    assert client.get("/v1/salesOrder", headers={"Authorization": token}).status_code == 401


def test_suspension_stops_tokens_and_resuming_restores_them(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    token = exchange(client, app, world.code(app, account)).json()["access_token"]
    world.set_app_active(app, False)
    assert client.get("/v1/salesOrder", headers={"Authorization": token}).status_code == 401
    world.set_app_active(app, True)
    assert client.get("/v1/salesOrder", headers={"Authorization": token}).status_code == 200
