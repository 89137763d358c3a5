"""Expiring access tokens and rotating refresh tokens, for apps that opt in
(docs/decisions/0065): the exchange, ``grant_type=refresh_token`` (RFC 6749 §6), the
lost-response grace, reuse detection (RFC 9700 §4.14.2) and expiry on the Open API."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.security.helpers import events, introspect
from tests.support import LiveServer, TestApp, World, exchange
from zentail.domain.authorization import purge_batch
from zentail.oauth.grants.refresh_token import RACE_SECONDS
from zentail.platform import Platform
from zentail.storage.models import AuditEvent, RefreshToken, utcnow

LIFETIME = 3600


def refresh(client: TestClient, app: TestApp, token: str, **extra: str) -> Any:
    return client.post(
        "/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": token, **extra},
        headers={"Authorization": app.basic},
    )


def api_status(client: TestClient, token: str) -> int:
    return client.get("/v1/salesOrder", headers={"AUTHORIZATION": token}).status_code


def opted_in(client: TestClient, world: World) -> tuple[TestApp, dict[str, Any]]:
    app = world.app(token_lifetime_seconds=LIFETIME)
    response = exchange(client, app, world.code(app, world.account()))
    assert response.status_code == 200
    return app, response.json()


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Make the token endpoint and the API believe ``seconds`` have passed."""
    shifted = utcnow() + dt.timedelta(seconds=seconds)
    monkeypatch.setattr("zentail.api.oauth_endpoints.utcnow", lambda: shifted)
    monkeypatch.setattr("zentail.api.auth.utcnow", lambda: shifted)


def test_an_opted_in_exchange_answers_expires_in_and_a_ztr_refresh_token(
    client: TestClient, world: World
) -> None:
    _, body = opted_in(client, world)
    assert list(body) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert (body["token_type"], body["expires_in"]) == ("bearer", LIFETIME)
    assert body["access_token"].startswith("ztk_")
    assert body["refresh_token"].startswith("ztr_")
    assert api_status(client, body["access_token"]) == 200


def test_an_app_without_a_lifetime_answers_the_documented_bytes(
    client: TestClient, world: World
) -> None:
    app = world.app()
    response = exchange(client, app, world.code(app, world.account()))
    token = response.json()["access_token"]
    assert (
        response.content
        == json.dumps(
            {"access_token": token, "token_type": "bearer"}, separators=(",", ":")
        ).encode()
    )


def test_a_refresh_answers_a_new_pair_and_only_the_new_access_token_works(
    client: TestClient, world: World
) -> None:
    app, first = opted_in(client, world)
    response = refresh(client, app, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert list(second) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert api_status(client, second["access_token"]) == 200
    assert api_status(client, first["access_token"]) == 401
    assert refresh(client, app, second["refresh_token"]).status_code == 200


def test_an_expired_access_token_is_401_even_when_cached(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, body = opted_in(client, world)
    assert api_status(client, body["access_token"]) == 200  # cached now
    later(monkeypatch, LIFETIME + 1)
    assert api_status(client, body["access_token"]) == 401


def test_a_refresh_token_is_401_on_the_open_api(client: TestClient, world: World) -> None:
    _, body = opted_in(client, world)
    assert api_status(client, body["refresh_token"]) == 401


def test_a_refresh_token_of_another_client_is_invalid_grant(
    client: TestClient, world: World
) -> None:
    _, body = opted_in(client, world)
    thief = world.app(token_lifetime_seconds=LIFETIME)
    response = refresh(client, thief, body["refresh_token"])
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_an_immediate_second_refresh_is_invalid_grant_and_the_winner_keeps_working(
    client: TestClient, world: World
) -> None:
    app, first = opted_in(client, world)
    winner = refresh(client, app, first["refresh_token"]).json()
    loser = refresh(client, app, first["refresh_token"])
    assert (loser.status_code, loser.json()["error"]) == (400, "invalid_grant")
    assert api_status(client, winner["access_token"]) == 200
    assert refresh(client, app, winner["refresh_token"]).status_code == 200


def test_the_previous_refresh_token_works_again_while_its_successors_are_unused(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, first = opted_in(client, world)
    lost = refresh(client, app, first["refresh_token"]).json()  # the answer never arrives
    later(monkeypatch, RACE_SECONDS + 1)
    retried = refresh(client, app, first["refresh_token"])
    assert retried.status_code == 200
    again = retried.json()
    assert api_status(client, lost["access_token"]) == 401
    assert api_status(client, again["access_token"]) == 200
    assert refresh(client, app, lost["refresh_token"]).json()["error"] == "invalid_grant"
    assert api_status(client, again["access_token"]) == 401  # that was reuse: family revoked


def test_a_dead_refresh_token_revokes_the_family_and_is_audited(
    client: TestClient, world: World, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, first = opted_in(client, world)
    second = refresh(client, app, first["refresh_token"]).json()
    assert api_status(client, second["access_token"]) == 200  # ends the grace
    later(monkeypatch, RACE_SECONDS + 1)
    reuse = refresh(client, app, first["refresh_token"])
    assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")
    assert api_status(client, second["access_token"]) == 401
    assert refresh(client, app, second["refresh_token"]).json()["error"] == "invalid_grant"
    with platform.db.session() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.app_id == app.id, AuditEvent.event == "refresh_token.reuse_detected"
            )
        ).all()
        assert [e.detail["verdict"] for e in events] == ["reused", "revoked"]


def test_uninstall_ends_the_refresh_token(client: TestClient, world: World) -> None:
    app = world.app(token_lifetime_seconds=LIFETIME)
    account = world.account()
    body = exchange(client, app, world.code(app, account)).json()
    world.uninstall(app, account)
    assert refresh(client, app, body["refresh_token"]).json()["error"] == "invalid_grant"


def test_a_suspended_app_cannot_refresh_until_resumed(client: TestClient, world: World) -> None:
    app, body = opted_in(client, world)
    world.set_app_active(app, False)
    assert refresh(client, app, body["refresh_token"]).json()["error"] == "unauthorized_client"
    world.set_app_active(app, True)
    assert refresh(client, app, body["refresh_token"]).status_code == 200


def test_a_new_code_exchange_ends_the_previous_refresh_token(
    client: TestClient, world: World
) -> None:
    app = world.app(token_lifetime_seconds=LIFETIME)
    account = world.account()
    old = exchange(client, app, world.code(app, account)).json()
    new = exchange(client, app, world.code(app, account)).json()
    assert refresh(client, app, old["refresh_token"]).json()["error"] == "invalid_grant"
    assert api_status(client, new["access_token"]) == 200  # another family: untouched
    assert refresh(client, app, new["refresh_token"]).status_code == 200


def test_a_narrower_scope_narrows_the_access_token_and_a_wider_one_is_invalid_scope(
    client: TestClient, world: World
) -> None:
    app, body = opted_in(client, world)
    wider = refresh(client, app, body["refresh_token"], scope="salesOrder:read inventory:write")
    assert wider.json()["error"] == "invalid_scope"
    narrow = refresh(client, app, body["refresh_token"], scope="salesOrder:write")
    assert narrow.status_code == 200
    assert api_status(client, narrow.json()["access_token"]) == 403


def test_introspecting_a_refresh_token_shows_it_active_as_a_refresh_token(
    client: TestClient, world: World
) -> None:
    app, body = opted_in(client, world)
    described = introspect(client, app, body["refresh_token"])
    assert (described["active"], described["token_type"]) == (True, "refresh_token")
    assert described["scope"] == "salesOrder:read salesOrder:write"
    access = introspect(client, app, body["access_token"])
    assert access["token_type"] == "bearer"
    assert access["exp"] - access["iat"] == LIFETIME
    assert introspect(client, world.app(), body["refresh_token"]) == {"active": False}


def test_a_rotated_refresh_token_whose_successor_was_used_introspects_inactive(
    client: TestClient, world: World
) -> None:
    app, first = opted_in(client, world)
    second = refresh(client, app, first["refresh_token"]).json()
    assert introspect(client, app, first["refresh_token"])["active"] is True  # grace
    assert api_status(client, second["access_token"]) == 200
    assert introspect(client, app, first["refresh_token"]) == {"active": False}


def test_revoking_a_refresh_token_revokes_the_access_tokens_of_its_grant(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, body = opted_in(client, world)
    assert api_status(client, body["access_token"]) == 200  # cached now
    response = client.post(
        "/v1/revoke",
        data={"token": body["refresh_token"], "token_type_hint": "refresh_token"},
        headers={"Authorization": app.basic},
    )
    assert response.status_code == 200
    assert api_status(client, body["access_token"]) == 401
    assert refresh(client, app, body["refresh_token"]).json()["error"] == "invalid_grant"
    (event,) = events(platform, "refresh_token.revoked", app_id=app.id)
    assert len(event.detail["revoked_token_ids"]) == 1


def test_another_client_cannot_revoke_a_refresh_token(client: TestClient, world: World) -> None:
    app, body = opted_in(client, world)
    other = world.app()
    response = client.post(
        "/v1/revoke", data={"token": body["refresh_token"]}, headers={"Authorization": other.basic}
    )
    assert response.status_code == 200
    assert refresh(client, app, body["refresh_token"]).status_code == 200


def test_metadata_lists_the_refresh_token_grant(client: TestClient) -> None:
    document = client.get("/.well-known/oauth-authorization-server").json()
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]


def test_the_cli_registers_and_updates_a_token_lifetime(live_server: LiveServer) -> None:
    registered = live_server.cli(
        "apps", "register", "--name", f"Lifetime {uuid.uuid4().hex[:8]}",
        "--contact-email", "dev@partner.example", "--redirect-uri",
        "https://partner.example/cb", "--scopes", "salesOrder:read",
        "--token-lifetime", "3600", "--json",
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    client_id = json.loads(registered.stdout)["client_id"]
    assert json.loads(registered.stdout)["token_lifetime_seconds"] == 3600
    updated = live_server.cli("apps", "update", client_id, "--token-lifetime", "none", "--json")
    assert json.loads(updated.stdout)["token_lifetime_seconds"] is None
    refused = live_server.cli("apps", "update", client_id, "--token-lifetime", "10")
    assert refused.returncode != 0
    assert "token_lifetime_seconds" in refused.stderr


def test_purge_deletes_refresh_tokens_dead_past_the_retention_only(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, first = opted_in(client, world)
    _, live = opted_in(client, world)
    headers = {"Authorization": app.basic}
    client.post("/v1/revoke", data={"token": first["refresh_token"]}, headers=headers)
    with platform.db.session(write=True) as session:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.app_id == app.id)
            .values(revoked_at=utcnow() - dt.timedelta(hours=2))
        )
        counts = purge_batch(session, now=utcnow(), retention=3600, batch_size=1000)
        left = set(session.scalars(select(RefreshToken.digest)))
    assert counts.refresh_tokens >= 1
    assert platform.keyring.digest(first["refresh_token"]) not in left
    assert platform.keyring.digest(live["refresh_token"]) in left


def test_after_opting_out_a_refresh_answers_a_long_lived_token_and_reuse_still_revokes_it(
    client: TestClient, world: World, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, first = opted_in(client, world)
    world.set_token_lifetime(app, None)
    last = refresh(client, app, first["refresh_token"])
    assert list(last.json()) == ["access_token", "token_type"]
    assert api_status(client, last.json()["access_token"]) == 200
    later(monkeypatch, RACE_SECONDS + 1)
    assert refresh(client, app, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert api_status(client, last.json()["access_token"]) == 401
