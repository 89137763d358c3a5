"""Checklist §2.G — operations: uninstall and suspension, audit, purge, logs (items 47–50)."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.security.helpers import (
    api_status,
    assert_oauth_error,
    events,
    introspect,
    revoke,
    token_request,
    wrong_secret,
)
from tests.support import LiveServer, World
from zentail.domain import apps, installs
from zentail.domain.actors import Actor
from zentail.logging import redact_target
from zentail.platform import Platform
from zentail.storage.models import AccessToken, AuthorizationCode

# --- item 47: uninstall and suspension -------------------------------------------------


def test_item_47_uninstall_revokes_tokens_and_unused_codes_at_once(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    token = token_request(client, app, world.code(app, account)).json()["access_token"]
    unused = world.code(app, account)
    assert api_status(client, token) == 200
    world.uninstall(app, account)
    assert api_status(client, token) == 401
    assert_oauth_error(token_request(client, app, unused), 400, "invalid_grant")


def test_item_47_reinstall_after_uninstall_issues_working_credentials(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    old = token_request(client, app, world.code(app, account)).json()["access_token"]
    world.uninstall(app, account)
    new = token_request(client, app, world.code(app, account)).json()["access_token"]
    assert api_status(client, old) == 401
    assert api_status(client, new) == 200


def test_item_47_suspension_stops_exchanges_and_tokens_and_resume_restores_them(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    token = token_request(client, app, world.code(app, account)).json()["access_token"]
    code = world.code(app, account)
    world.set_app_active(app, False)
    assert api_status(client, token) == 401
    assert_oauth_error(token_request(client, app, code), 400, "unauthorized_client")
    world.set_app_active(app, True)
    assert api_status(client, token) == 200
    assert token_request(client, app, world.code(app, account)).status_code == 200


# --- item 48: audit --------------------------------------------------------------------


def test_item_48_token_endpoint_events_record_client_and_source_address(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    revoked = token_request(client, app, world.code(app, account)).json()["access_token"]
    revoke(client, app, revoked)
    replayed = world.code(app, account)
    token_request(client, app, replayed)
    token_request(client, app, replayed)
    client.post("/v1/token", data={"grant_type": "x"}, headers={"Authorization": wrong_secret(app)})
    recorded = {
        name: events(platform, name, app_id=app.id)
        for name in ("token.issued", "token.revoked", "code.replay_detected", "client.auth_failed")
    }
    assert [len(found) for found in recorded.values()] == [2, 1, 1, 1]
    for name, found in recorded.items():
        for event in found:
            assert event.source_ip == "testclient", name
            assert event.actor == f"client:{app.client_id}", name
            assert event.account_id == (None if name == "client.auth_failed" else account.id)
    (replay,) = recorded["code.replay_detected"]
    assert replay.detail["revoked_token_ids"] == [recorded["token.issued"][1].detail["token_id"]]


def test_item_48_platform_events_record_who_where_app_and_account(
    world: World, platform: Platform
) -> None:
    """Install, code issued, uninstall, secret rotated, suspended and resumed carry the
    acting user and the address the request came from."""
    app, account = world.app(), world.account()
    admin = Actor(label="user:admin@example.com", user_id=None, source_ip="192.0.2.9")
    with platform.db.session(write=True) as session:
        row = apps.get_app(session, app.client_id)
        installs.install(
            session, platform.keyring, app=row, account_id=account.id, actor=admin, code_ttl=60
        )
        installs.uninstall(session, app=row, account_id=account.id, actor=admin)
        apps.rotate_secret(session, platform.keyring, row, grace_seconds=60, actor=admin)
        apps.set_status(session, row, active=False, actor=admin)
        apps.set_status(session, row, active=True, actor=admin)
    expected = {
        "install": account.id,
        "code.issued": account.id,
        "uninstall": account.id,
        "app.secret_rotated": None,
        "app.suspended": None,
        "app.resumed": None,
    }
    for name, account_id in expected.items():
        (event,) = events(platform, name, app_id=app.id)
        assert (event.actor, event.source_ip, event.account_id) == (
            admin.label,
            "192.0.2.9",
            account_id,
        ), name
        assert event.at is not None


def test_item_48_audit_events_hold_no_credentials(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    token = token_request(client, app, code).json()["access_token"]
    token_request(client, app, code)
    revoke(client, app, token)
    recorded = json.dumps(
        [(e.event, e.actor, e.detail) for e in events(platform, "token.issued")]
        + [(e.event, e.actor, e.detail) for e in events(platform, "code.replay_detected")]
        + [(e.event, e.actor, e.detail) for e in events(platform, "token.revoked")]
    )
    for credential in (app.client_secret, code, token):
        assert credential not in recorded


# --- item 49: purge --------------------------------------------------------------------


def _age(platform: Platform, model: type, column: str, digest: str, days: int) -> None:
    with platform.db.session(write=True) as session:
        session.execute(
            update(model)
            .where(model.digest == digest)  # type: ignore[attr-defined]
            .values({column: dt.datetime.now(dt.UTC) - dt.timedelta(days=days)})
        )


def test_item_49_purge_deletes_dead_codes_and_tokens_in_bounded_batches(
    client: TestClient, world: World, platform: Platform, live_server: LiveServer
) -> None:
    app, account = world.app(), world.account()
    digest = platform.keyring.digest
    dead_codes = [world.code(app, world.account()) for _ in range(3)]
    used_code = world.code(app, account)
    live_token = token_request(client, app, used_code).json()["access_token"]
    dead_tokens = [world.account_token(account) for _ in range(3)]
    recently_revoked = world.account_token(account)
    fresh_code = world.code(app, world.account())
    for code in [*dead_codes, used_code]:
        _age(platform, AuthorizationCode, "expires_at", digest(code), days=8)
    for token in dead_tokens:
        _age(platform, AccessToken, "revoked_at", digest(token), days=8)
    _age(platform, AccessToken, "revoked_at", digest(recently_revoked), days=1)

    result = live_server.cli_with({"ZENTAIL_PURGE_BATCH_SIZE": "2"}, "db", "purge", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["codes"] >= 4
    assert summary["tokens"] >= 3
    assert summary["batches"] >= 2

    with platform.db.session() as session:
        remaining_codes = set(session.scalars(select(AuthorizationCode.digest)))
        remaining_tokens = set(session.scalars(select(AccessToken.digest)))
    assert not {digest(c) for c in [*dead_codes, used_code]} & remaining_codes
    assert digest(fresh_code) in remaining_codes
    assert not {digest(t) for t in dead_tokens} & remaining_tokens
    assert {digest(recently_revoked), digest(live_token)} <= remaining_tokens
    assert api_status(client, live_token) == 200


def test_item_49_purge_with_nothing_to_do_is_one_empty_batch(live_server: LiveServer) -> None:
    first = live_server.cli("db", "purge", "--json")
    assert first.returncode == 0, first.stderr
    second = json.loads(live_server.cli("db", "purge", "--json").stdout)
    assert second == {
        "codes": 0,
        "tokens": 0,
        "token_failures": 0,
        "login_failures": 0,
        "batches": 1,
    }


# --- item 50: nothing secret in the logs -----------------------------------------------


def test_item_50_live_server_log_holds_no_code_token_or_secret(
    live_server: LiveServer, world: World
) -> None:
    app, account = world.app(), world.account()
    code, replayed = world.code(app, account), world.code(app, account)
    with httpx.Client(base_url=live_server.base_url) as http:
        leaked = http.post(
            f"/v1/token?client_id={app.client_id}&client_secret={app.client_secret}&code={code}",
            data={"grant_type": "authorization_code", "redirect_uri": app.redirect_uri},
        )
        assert leaked.status_code == 400
        token = token_request(http, app, code).json()["access_token"]
        token_request(http, app, replayed)
        token_request(http, app, replayed)
        http.get(f"/v1/salesOrder?access_token={token}", headers={"Authorization": token})
        http.post(f"/v1/introspect?token={token}", headers={"Authorization": app.basic})
        introspect(http, app, token)
        revoke(http, app, token)
        http.get(f"/partner/oauth_callback?client_id={app.client_id}&code={code}")
    log = live_server.log()
    assert "POST /v1/token?[redacted]" in log
    for credential in (app.client_secret, code, replayed, token, app.basic.split()[1]):
        assert credential not in log


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        ("/v1/token?client_secret=s&code=c", "/v1/token?[redacted]"),
        ("/v1/revoke?token=t", "/v1/revoke?[redacted]"),
        ("/v1/introspect?x=1", "/v1/introspect?[redacted]"),
        ("/cb?code=c&client_id=i", "/cb?code=[redacted]&client_id=i"),
        (
            "/v1/salesOrder?status=Pending&access_token=t",
            "/v1/salesOrder?status=Pending&access_token=[redacted]",
        ),
        ("/v1/salesOrder?status=Pending", "/v1/salesOrder?status=Pending"),
        ("/v1/salesOrder", "/v1/salesOrder"),
    ],
)
def test_item_50_access_log_targets_are_redacted(target: str, logged: str) -> None:
    assert redact_target(target) == logged
