"""Checklist §2.A — token endpoint request parsing (items 1–10)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.security.helpers import FORM, assert_oauth_error, token_request
from tests.support import World
from zentail.settings import Settings


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_item_01_only_post_is_accepted_at_the_token_endpoint(
    client: TestClient, world: World, method: str
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    response = client.request(
        method,
        "/v1/token",
        params={"grant_type": "authorization_code", "code": code},
        headers={"Authorization": app.basic},
    )
    assert_oauth_error(response, 405, "invalid_request")
    assert response.headers["allow"] == "POST"
    assert "access_token" not in response.text
    assert token_request(client, app, code).status_code == 200


def test_item_03_json_body_is_invalid_request(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = client.post(
        "/v1/token",
        json={
            "grant_type": "authorization_code",
            "code": world.code(app, account),
            "redirect_uri": app.redirect_uri,
        },
        headers={"Authorization": app.basic},
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_item_03_multipart_body_is_invalid_request(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = client.post(
        "/v1/token",
        files={
            "grant_type": (None, "authorization_code"),
            "code": (None, world.code(app, account)),
        },
        headers={"Authorization": app.basic},
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("path", ["/v1/token", "/v1/revoke", "/v1/introspect"])
def test_item_03_oversized_form_body_is_413_invalid_request(
    client: TestClient, world: World, path: str
) -> None:
    """Nothing legitimate is that large; the body is not buffered beyond the limit."""
    app = world.app()
    body = "grant_type=authorization_code&padding=" + "x" * (64 * 1024)
    response = client.post(path, content=body, headers={**FORM, "Authorization": app.basic})
    assert_oauth_error(response, 413, "invalid_request")


def test_item_04_credentials_in_the_query_string_are_refused(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    response = client.post(
        f"/v1/token?client_id={app.client_id}&client_secret={app.client_secret}",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_item_04_grant_parameters_in_the_query_string_are_refused(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    response = client.post(
        f"/v1/token?grant_type=authorization_code&code={world.code(app, account)}",
        data={"redirect_uri": app.redirect_uri},
        headers={"Authorization": app.basic},
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "repeated", ["grant_type", "code", "redirect_uri", "client_id", "client_secret"]
)
def test_item_05_repeated_parameter_is_invalid_request(
    client: TestClient, world: World, repeated: str
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    fields = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", app.redirect_uri),
        ("client_id", app.client_id),
        ("client_secret", app.client_secret),
    ]
    fields += [pair for pair in fields if pair[0] == repeated]
    body = "&".join(f"{name}={value}" for name, value in fields)
    response = client.post("/v1/token", content=body, headers=FORM)
    assert_oauth_error(response, 400, "invalid_request")
    assert token_request(client, app, code).status_code == 200


@pytest.mark.parametrize("empty", ["code", "grant_type", "redirect_uri"])
def test_item_06_parameter_without_value_is_treated_as_missing(
    client: TestClient, world: World, empty: str
) -> None:
    app, account = world.app(), world.account()
    response = token_request(client, app, world.code(app, account), **{empty: ""})
    assert_oauth_error(response, 400, "invalid_request")


def test_item_07_unrecognized_parameters_are_ignored(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = token_request(
        client, app, world.code(app, account), nonce="n-0S6", resource="https://x.example/"
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"


def test_item_08_missing_grant_type_is_invalid_request(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = client.post(
        "/v1/token",
        data={"code": world.code(app, account), "redirect_uri": app.redirect_uri},
        headers={"Authorization": app.basic},
    )
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "x"])
def test_item_08_unknown_grant_type_is_unsupported_grant_type(
    client: TestClient, world: World, grant_type: str
) -> None:
    app, account = world.app(), world.account()
    response = token_request(client, app, world.code(app, account), grant_type=grant_type)
    assert_oauth_error(response, 400, "unsupported_grant_type")


def test_item_08_the_refresh_grant_without_a_refresh_token_is_invalid_request(
    client: TestClient, world: World
) -> None:
    """``refresh_token`` is supported (docs/decisions/0065); a code sent with it is an
    unrecognised parameter, and the refresh token is missing."""
    app, account = world.app(), world.account()
    response = token_request(client, app, world.code(app, account), grant_type="refresh_token")
    assert_oauth_error(response, 400, "invalid_request")


def test_item_09_client_not_allowed_the_grant_is_unauthorized_client(
    client: TestClient, world: World
) -> None:
    """A suspended app may not use any grant."""
    app, account = world.app(), world.account()
    code = world.code(app, account)
    world.set_app_active(app, False)
    assert_oauth_error(token_request(client, app, code), 400, "unauthorized_client")


def test_item_10_scope_parameter_cannot_widen_the_granted_scope(
    client: TestClient, world: World
) -> None:
    """The code grant takes no ``scope`` (RFC 6749 §4.1.3): one sent anyway is ignored as an
    unrecognized parameter and the token carries exactly what was granted at install."""
    app, account = world.app(scopes="salesOrder:read"), world.account()
    response = token_request(client, app, world.code(app, account), scope="salesOrder:write")
    assert response.status_code == 200
    token = response.json()["access_token"]
    created = client.post(
        "/v1/salesOrder", json={"channelOrderId": "x"}, headers={"Authorization": token}
    )
    assert created.status_code == 403


def test_item_02_production_refuses_a_plain_http_issuer() -> None:
    """TLS is the deployment's job (docs/security.md, item 2); the server refuses to start in
    production with an issuer that is not https."""
    with pytest.raises(ValueError, match="ZENTAIL_ISSUER"):
        Settings(env="production", secret_key="k" * 40, issuer="http://platform.example")
    assert Settings(env="production", secret_key="k" * 40, issuer="https://p.example").issuer
