"""API access: account admins generate (shown once), list and revoke ad-hoc tokens."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support import World
from tests.web.pages import log_in, shown_once, submit


def test_a_generated_token_is_shown_once_works_and_stops_when_revoked(
    client: TestClient, world: World
) -> None:
    account = world.account()
    log_in(client, account.admin_email)
    answer = submit(
        client,
        "/api-access",
        "/api-access/tokens",
        {"label": "Nightly export", "scopes": "salesOrder:read"},
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    raw = shown_once(answer.text, "new-token")
    assert raw

    listing = client.get("/api-access").text
    assert "Nightly export" in listing
    assert raw not in listing
    assert account.admin_email in listing  # created by

    headers = {"Authorization": raw}
    assert client.get("/v1/salesOrder", headers=headers).status_code == 200
    token_id = re.search(r"/api-access/tokens/(\d+)/revoke", listing)
    assert token_id
    revoke_path = f"/api-access/tokens/{token_id.group(1)}/revoke"
    assert "Revoke “Nightly export”?" in client.get(revoke_path).text
    assert submit(client, revoke_path, revoke_path).status_code == 303
    assert client.get("/v1/salesOrder", headers=headers).status_code == 401
    assert "Nightly export" not in client.get("/api-access").text.split("Active tokens")[1]


def test_fewer_scopes_limit_what_the_token_may_do(client: TestClient, world: World) -> None:
    account = world.account()
    log_in(client, account.admin_email)
    answer = submit(
        client, "/api-access", "/api-access/tokens", {"label": "Stock", "scopes": "inventory:read"}
    )
    raw = shown_once(answer.text, "new-token")
    assert raw
    orders = client.get("/v1/salesOrder", headers={"Authorization": raw})
    assert orders.status_code == 403


def test_a_blank_label_is_explained_on_the_form(client: TestClient, world: World) -> None:
    account = world.account()
    log_in(client, account.admin_email)
    answer = submit(client, "/api-access", "/api-access/tokens", {"label": "   "})
    assert answer.status_code == 400
    assert "Label: must be 1 to 200 characters" in answer.text
    assert shown_once(answer.text, "new-token") is None


def test_staff_do_not_mint_account_tokens(client: TestClient, world: World) -> None:
    log_in(client, world.user(None))
    assert client.get("/api-access").status_code == 403
