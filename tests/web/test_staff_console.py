"""Staff console: register (credentials once), logo checks, edit, rotate, suspend, resume,
accounts and users."""

from __future__ import annotations

import io
import uuid

import httpx
from fastapi.testclient import TestClient
from PIL import Image

from tests.support import World, basic, exchange
from tests.web.pages import csrf_token, log_in, shown_once, submit
from zentail.domain import apps
from zentail.platform import Platform


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def register(client: TestClient, logo: bytes | None = None, **fields: str) -> httpx.Response:
    name = f"Staff App {uuid.uuid4().hex[:8]}"
    data = {
        "csrf_token": csrf_token(client, "/staff/apps/new"),
        "name": name,
        "contact_email": "dev@partner.example",
        "redirect_uri": "https://partner.example/callback",
        "scopes": ["salesOrder:read", "salesOrder:write"],
        "description": "Keeps orders in sync.",
        **fields,
    }
    files = {"logo": ("logo.png", logo, "image/png")} if logo else None
    return client.post("/staff/apps/new", data=data, files=files, follow_redirects=False)


def test_registering_an_app_shows_its_credentials_once(client: TestClient, world: World) -> None:
    log_in(client, world.user(None))
    answer = register(client, logo=png(64, 64))
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    text = answer.text
    secret, client_id = shown_once(text, "client-secret"), shown_once(text, "client-id")
    assert secret
    assert client_id
    detail = client.get(f"/staff/apps/{client_id}").text
    assert secret not in detail
    logo = client.get(f"/apps/{client_id}/logo")
    assert logo.headers["content-type"] == "image/png"
    token = client.post(
        "/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": "unknown",
            "redirect_uri": "https://partner.example/callback",
        },
        headers={"Authorization": basic(client_id, secret)},
    )
    assert token.json()["error"] == "invalid_grant"  # the credentials authenticate


def test_a_logo_that_is_not_square_or_too_small_is_refused_on_the_form(
    client: TestClient, world: World
) -> None:
    log_in(client, world.user(None))
    answer = register(client, logo=png(80, 60))
    assert answer.status_code == 400
    assert "must be square (got 80×60 px)" in answer.text
    assert "Keeps orders in sync." in answer.text
    answer = register(client, logo=png(40, 40))
    assert "at least 50×50 px" in answer.text


def test_an_http_redirect_uri_is_refused_unless_loopback(client: TestClient, world: World) -> None:
    log_in(client, world.user(None))
    answer = register(client, redirect_uri="http://partner.example/cb")
    assert answer.status_code == 400
    assert "must use https" in answer.text
    assert register(client, redirect_uri="http://127.0.0.1:9/cb").status_code == 200


def test_editing_an_app_changes_what_its_page_says(client: TestClient, world: World) -> None:
    app = world.app()
    log_in(client, world.user(None))
    path = f"/staff/apps/{app.client_id}/edit"
    answer = submit(
        client,
        path,
        path,
        {
            "name": app.name,
            "contact_email": "new@partner.example",
            "redirect_uri": app.redirect_uri,
            "scopes": "inventory:read",
            "description": "Now reads stock.",
        },
    )
    assert answer.status_code == 303
    page = client.get(f"/apps/{app.client_id}").text
    assert "Now reads stock." in page
    assert "Read inventory levels" in page
    assert "Read your sales orders" not in page


def test_rotating_a_secret_shows_the_new_one_and_the_grace_period(
    client: TestClient, world: World
) -> None:
    app = world.app()
    log_in(client, world.user(None))
    path = f"/staff/apps/{app.client_id}/rotate-secret"
    assert "grace period of <strong>7 days</strong>" in client.get(path).text
    answer = submit(client, path, path)
    assert answer.status_code == 200
    assert "The previous secret keeps working until" in answer.text
    new_secret = shown_once(answer.text, "client-secret")
    assert new_secret
    assert new_secret != app.client_secret
    assert "works until" in client.get(f"/staff/apps/{app.client_id}").text


def test_suspending_stops_the_apps_tokens_and_resuming_restores_them(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app()
    code = world.code(app, account)
    token = client.post(
        "/v1/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        headers={"Authorization": app.basic},
    ).json()["access_token"]
    log_in(client, world.user(None))
    path = f"/staff/apps/{app.client_id}/suspend"
    assert "all its tokens stop working at once" in client.get(path).text
    assert submit(client, path, path).status_code == 303
    assert "Suspended" in client.get(f"/staff/apps/{app.client_id}").text
    assert client.get("/v1/salesOrder", headers={"Authorization": token}).status_code == 401
    resume = f"/staff/apps/{app.client_id}/resume"
    assert submit(client, f"/staff/apps/{app.client_id}", resume).status_code == 303
    assert client.get("/v1/salesOrder", headers={"Authorization": token}).status_code == 200


def test_staff_create_an_account_whose_admin_can_log_in(client: TestClient, world: World) -> None:
    log_in(client, world.user(None))
    name, email = f"Seller {uuid.uuid4().hex[:8]}", f"owner-{uuid.uuid4().hex[:8]}@example.com"
    answer = submit(
        client, "/staff/accounts/new", "/staff/accounts/new", {"name": name, "admin_email": email}
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    password = shown_once(answer.text, "password")
    assert password
    assert name in client.get("/staff/accounts").text
    duplicate = submit(
        client, "/staff/accounts/new", "/staff/accounts/new", {"name": name, "admin_email": email}
    )
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.text

    client.cookies.clear()
    log_in(client, email, password)
    assert name in client.get("/installed").text


def test_staff_add_a_member_to_an_account(client: TestClient, world: World) -> None:
    account = world.account()
    log_in(client, world.user(None))
    email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    path = f"/staff/accounts/{account.id}"
    answer = submit(
        client,
        path,
        f"{path}/users",
        {"email": email, "role": "member", "password": "a-long-enough-password"},
    )
    assert answer.status_code == 303
    assert email in client.get(path).text
    refused = submit(client, path, f"{path}/users", {"email": "x@example.com", "role": "staff"})
    assert refused.status_code == 400


def test_staff_set_a_token_lifetime_and_the_next_exchange_expires(
    client: TestClient, world: World
) -> None:
    app = world.app()
    log_in(client, world.user(None))
    path = f"/staff/apps/{app.client_id}/edit"
    assert 'name="token_lifetime_seconds"' in client.get(path).text
    fields = {
        "name": app.name,
        "contact_email": "dev@partner.example",
        "redirect_uri": app.redirect_uri,
        "scopes": "salesOrder:read",
    }
    refused = submit(client, path, path, {**fields, "token_lifetime_seconds": "5"})
    assert refused.status_code == 400
    assert "60 to 31536000 seconds" in refused.text
    assert (
        submit(client, path, path, {**fields, "token_lifetime_seconds": "900"}).status_code == 303
    )
    body = exchange(client, app, world.code(app, world.account())).json()
    assert (body["expires_in"], body["refresh_token"][:4]) == (900, "ztr_")
    assert (
        "expire after 900 s, with rotating refresh tokens"
        in client.get(f"/staff/apps/{app.client_id}").text
    )
    assert submit(client, path, path, {**fields, "token_lifetime_seconds": ""}).status_code == 303
    body = exchange(client, app, world.code(app, world.account())).json()
    assert list(body) == ["access_token", "token_type"]


def test_staff_register_an_apps_jwks_uri_and_refuse_plain_http(
    client: TestClient, world: World, platform: Platform
) -> None:
    app = world.app()
    log_in(client, world.user(None))
    page = f"/staff/apps/{app.client_id}"
    refused = submit(client, page, f"{page}/keys", {"jwks_uri": "http://keys.example/jwks"})
    assert refused.status_code == 400
    assert "must use https" in refused.text
    saved = submit(client, page, f"{page}/keys", {"jwks_uri": "https://keys.example/jwks"})
    assert saved.status_code == 303
    assert "https://keys.example/jwks" in client.get(page).text
    with platform.db.session() as session:
        row = apps.get_app(session, app.client_id)
        assert (row.jwks_uri, row.jwks, row.secrets_accepted) == (
            "https://keys.example/jwks",
            None,
            True,
        )
