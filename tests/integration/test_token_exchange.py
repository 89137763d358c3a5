"""POST /v1/token: the authorization code exchange and its RFC 6749 §5.2 errors."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import World, exchange, exchange_body


def test_exchange_returns_exactly_access_token_and_bearer_type(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    response = exchange(client, app, world.code(app, account))
    assert response.status_code == 200
    assert response.json().keys() == {"access_token", "token_type"}
    assert response.json()["token_type"] == "bearer"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def test_second_exchange_of_a_code_is_invalid_grant(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    assert exchange(client, app, code).status_code == 200
    replay = exchange(client, app, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_wrong_secret_is_401_invalid_client_with_basic_challenge(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    response = client.post(
        "/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": world.code(app, account),
            "redirect_uri": app.redirect_uri,
        },
        auth=(app.client_id, "not-the-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_wrong_redirect_uri_is_invalid_grant(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = client.post(
        "/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": world.code(app, account),
            "redirect_uri": app.redirect_uri + "/",
        },
        headers={"Authorization": app.basic},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_documented_garbled_redirect_uri_is_invalid_grant(client: TestClient, world: World) -> None:
    app = world.app(redirect_uri="https://YOUR_DOMAIN/oauth_callback")
    code = world.code(app, world.account())
    response = client.post(
        "/v1/token",
        content=f"grant_type=authorization_code&authorization_code={code}"
        "&redirect_uri=https%3A%2F%2YOUR_DOMAIN%2Eoauth_callback",
        headers={"Authorization": app.basic, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_issued_to_another_client_is_invalid_grant(client: TestClient, world: World) -> None:
    owner, thief, account = world.app(), world.app(), world.account()
    code = world.code(owner, account)
    stolen = client.post(
        "/v1/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": owner.redirect_uri},
        headers={"Authorization": thief.basic},
    )
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    assert exchange(client, owner, code).status_code == 200


def test_missing_grant_type_is_invalid_request_and_unknown_is_unsupported(
    client: TestClient, world: World
) -> None:
    app = world.app()
    missing = client.post(
        "/v1/token",
        data={"code": "x", "redirect_uri": app.redirect_uri},
        headers={"Authorization": app.basic},
    )
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    unknown = client.post(
        "/v1/token", data={"grant_type": "password"}, headers={"Authorization": app.basic}
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "unsupported_grant_type"


def test_suspended_app_exchange_is_unauthorized_client(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    world.set_app_active(app, False)
    response = exchange(client, app, code)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_new_exchange_for_an_installation_revokes_its_previous_token(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    first = exchange(client, app, world.code(app, account)).json()["access_token"]
    second = exchange(client, app, world.code(app, account)).json()["access_token"]
    assert client.get("/v1/salesOrder", headers={"Authorization": first}).status_code == 401
    assert client.get("/v1/salesOrder", headers={"Authorization": second}).status_code == 200


def test_a_nul_in_the_redirect_uri_is_a_mismatch_not_a_database_error(
    client: TestClient, world: World
) -> None:
    """PostgreSQL refuses a NUL in text; the redemption must still answer as for any other
    redirect URI than the registered one: invalid_grant, the code burned."""
    app, account = world.app(), world.account()
    code = world.code(app, account)
    response = client.post(
        "/v1/token",
        data=exchange_body(code, app.redirect_uri + "\x00"),
        headers={"Authorization": app.basic},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "redirect_uri" in response.json()["error_description"]
    assert exchange(client, app, code).status_code == 400
