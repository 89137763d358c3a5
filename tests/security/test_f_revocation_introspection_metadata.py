"""Checklist §2.F — RFC 7009 revocation, RFC 7662 introspection, RFC 8414 metadata
(items 44–46)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.security.helpers import (
    api_status,
    assert_oauth_error,
    events,
    introspect,
    revoke,
    token_request,
    wrong_secret,
)
from tests.support import LiveServer, TestApp, World
from zentail.domain.scopes import SCOPES
from zentail.platform import Platform


def issue(client: TestClient, world: World, app: TestApp | None = None) -> tuple[TestApp, str]:
    app = app or world.app()
    response = token_request(client, app, world.code(app, world.account()))
    assert response.status_code == 200
    return app, response.json()["access_token"]


# --- item 44: revocation ---------------------------------------------------------------


def test_item_44_client_revokes_its_own_token_at_once(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, token = issue(client, world)
    response = revoke(client, app, token)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert api_status(client, token) == 401
    (revoked,) = events(platform, "token.revoked", app_id=app.id)
    assert revoked.actor == f"client:{app.client_id}"
    assert revoked.source_ip == "testclient"


def test_item_44_revoking_another_clients_token_is_200_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    _, token = issue(client, world)
    other = world.app()
    assert revoke(client, other, token).status_code == 200
    assert api_status(client, token) == 200


def test_item_44_unknown_or_already_revoked_token_is_200(client: TestClient, world: World) -> None:
    app, token = issue(client, world)
    assert revoke(client, app, "ztk_unknown").status_code == 200
    assert revoke(client, app, token).status_code == 200
    assert revoke(client, app, token).status_code == 200


def test_item_44_token_type_hint_is_accepted(client: TestClient, world: World) -> None:
    app, token = issue(client, world)
    response = client.post(
        "/v1/revoke",
        data={"token": token, "token_type_hint": "refresh_token"},
        headers={"Authorization": app.basic},
    )
    assert response.status_code == 200
    assert api_status(client, token) == 401


def test_item_44_revocation_requires_client_authentication(
    client: TestClient, world: World
) -> None:
    app, token = issue(client, world)
    assert_oauth_error(client.post("/v1/revoke", data={"token": token}), 401, "invalid_client")
    refused = client.post(
        "/v1/revoke", data={"token": token}, headers={"Authorization": wrong_secret(app)}
    )
    assert_oauth_error(refused, 401, "invalid_client")
    assert api_status(client, token) == 200


def test_item_44_revocation_without_token_is_invalid_request(
    client: TestClient, world: World
) -> None:
    app = world.app()
    response = client.post("/v1/revoke", data={}, headers={"Authorization": app.basic})
    assert_oauth_error(response, 400, "invalid_request")


# --- item 45: introspection ------------------------------------------------------------


def test_item_45_introspection_describes_the_callers_active_token(
    client: TestClient, world: World
) -> None:
    app = world.app(scopes="salesOrder:read")
    account = world.account()
    token = token_request(client, app, world.code(app, account)).json()["access_token"]
    described = introspect(client, app, token)
    assert described.pop("iat") > 0
    assert described == {
        "active": True,
        "scope": "salesOrder:read",
        "client_id": app.client_id,
        "token_type": "bearer",
        "sub": str(account.id),
        "account_id": account.id,
    }


def test_item_45_introspection_requires_client_authentication(
    client: TestClient, world: World
) -> None:
    app, token = issue(client, world)
    response = client.post("/v1/introspect", data={"token": token})
    assert_oauth_error(response, 401, "invalid_client")
    refused = client.post(
        "/v1/introspect", data={"token": token}, headers={"Authorization": wrong_secret(app)}
    )
    assert_oauth_error(refused, 401, "invalid_client")


def test_item_45_inactive_cases_answer_only_active_false(client: TestClient, world: World) -> None:
    app, revoked = issue(client, world)
    revoke(client, app, revoked)
    _, others = issue(client, world)
    account_token = world.account_token(world.account())
    suspended_app, suspended = issue(client, world)
    world.set_app_active(suspended_app, False)
    for token in ("ztk_unknown", revoked, others, account_token):
        assert introspect(client, app, token) == {"active": False}
    assert introspect(client, suspended_app, suspended) == {"active": False}


def test_item_45_introspection_response_is_no_store(client: TestClient, world: World) -> None:
    app, token = issue(client, world)
    response = client.post(
        "/v1/introspect", data={"token": token}, headers={"Authorization": app.basic}
    )
    assert response.headers["cache-control"] == "no-store"


# --- item 46: metadata -----------------------------------------------------------------


def test_item_46_metadata_lists_issuer_endpoints_methods_and_scopes(
    client: TestClient, platform: Platform
) -> None:
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    issuer = platform.settings.issuer
    assert document["issuer"] == issuer
    assert document["token_endpoint"] == f"{issuer}/v1/token"
    assert document["revocation_endpoint"] == f"{issuer}/v1/revoke"
    assert document["introspection_endpoint"] == f"{issuer}/v1/introspect"
    for key in ("token", "revocation", "introspection"):
        assert document[f"{key}_endpoint_auth_methods_supported"] == [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ]
        assert document[f"{key}_endpoint_auth_signing_alg_values_supported"] == [
            "RS256",
            "ES256",
            "EdDSA",
        ]
    assert document["scopes_supported"] == list(SCOPES)
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["authorization_endpoint"] == f"{issuer}/v1/authorize"
    assert document["code_challenge_methods_supported"] == ["S256"]


def test_item_46_live_server_metadata_issuer_is_its_configured_issuer(
    live_server: LiveServer,
) -> None:
    document = httpx.get(f"{live_server.base_url}/.well-known/oauth-authorization-server").json()
    assert document["issuer"] == live_server.env["ZENTAIL_ISSUER"]
    with httpx.Client(base_url=live_server.base_url) as http:
        for key in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
            response = http.post(document[key].removeprefix(live_server.base_url))
            assert_oauth_error(response, 400, "invalid_request")  # no form body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_item_46_metadata_is_read_only(client: TestClient, method: str) -> None:
    response = client.request(method, "/.well-known/oauth-authorization-server")
    assert response.status_code == 405
