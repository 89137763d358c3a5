"""Token requests that explain themselves: every refused ``POST /v1/token`` naming an existing
client is kept with a stable reason, read by that client alone from
``GET /v1/diagnostics/token``, while the token endpoint answers exactly as before."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.support import ACTOR, LiveServer, TestApp, World, basic, exchange, exchange_body
from zentail.domain import apps
from zentail.oauth import diagnostics
from zentail.observability import purge
from zentail.platform import Platform
from zentail.storage.models import AuthorizationCode, TokenFailure, utcnow

INVALID_CODE = {"error": "invalid_grant", "error_description": "Invalid authorization code"}


def diagnosed(client: TestClient, app: TestApp) -> list[dict[str, Any]]:
    answer = client.get(diagnostics.PATH, headers={"Authorization": app.basic})
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def only(client: TestClient, app: TestApp) -> dict[str, Any]:
    (result,) = diagnosed(client, app)
    assert set(result) == {"at", "error", "reason", "detail", "sourceIp"}
    return result


def keep_a_failure_older_than_a_week(platform: Platform, app: TestApp) -> None:
    with platform.db.session(write=True) as session:
        session.add(
            TokenFailure(
                app_id=app.id,
                at=utcnow() - diagnostics.RETENTION - dt.timedelta(hours=1),
                error="invalid_grant",
                reason="code_unknown",
                detail={"old": True},
            )
        )


def post_token(client: TestClient, app: TestApp, **form: str) -> Any:
    return client.post("/v1/token", data=form, headers={"Authorization": app.basic})


def test_a_redirect_uri_mismatch_names_the_uri_sent_and_the_one_registered(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    sent = "https://elsewhere.example/callback"
    answer = post_token(client, app, **exchange_body(world.code(app, account), sent))
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    result = only(client, app)
    assert (result["error"], result["reason"]) == ("invalid_grant", "redirect_uri_mismatch")
    assert result["detail"] == {"sent": sent, "registered": app.redirect_uri}
    assert result["sourceIp"] == "testclient"


def test_an_expired_code_is_diagnosed_with_its_age(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    issued = utcnow() - dt.timedelta(minutes=20)
    with platform.db.session(write=True) as session:
        session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.app_id == app.id)
            .values(created_at=issued, expires_at=issued + dt.timedelta(minutes=10))
        )
    answer = exchange(client, app, code)
    assert (answer.status_code, answer.json()) == (400, INVALID_CODE)
    result = only(client, app)
    assert result["reason"] == "code_expired"
    assert 20 * 60 <= result["detail"]["age_seconds"] < 21 * 60
    assert result["detail"]["expired_at"].startswith(
        (issued + dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    )


def test_a_reused_code_says_when_it_was_first_redeemed_and_that_its_token_was_revoked(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    assert exchange(client, app, code).status_code == 200
    answer = exchange(client, app, code)
    assert (answer.status_code, answer.json()) == (400, INVALID_CODE)
    result = only(client, app)
    assert result["reason"] == "code_reused"
    assert result["detail"]["tokens_revoked"] == 1
    first = dt.datetime.fromisoformat(result["detail"]["first_redeemed_at"])
    assert abs(first - dt.datetime.fromisoformat(result["at"])) < dt.timedelta(minutes=1)


def test_an_unknown_code_and_another_clients_code_are_told_apart(
    client: TestClient, world: World
) -> None:
    app, other, account = world.app(), world.app(), world.account()
    assert exchange(client, app, "no-such-code").json() == INVALID_CODE
    others_code = world.code(other, account)
    answer = post_token(client, app, **exchange_body(others_code, app.redirect_uri))
    assert answer.json() == INVALID_CODE
    assert [r["reason"] for r in diagnosed(client, app)] == [
        "code_for_another_client",
        "code_unknown",
    ]
    assert diagnosed(client, other) == []
    assert exchange(client, other, others_code).status_code == 200  # still unused


def test_a_code_of_an_uninstalled_app_is_diagnosed(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    world.uninstall(app, account)
    assert exchange(client, app, code).json() == INVALID_CODE
    assert only(client, app)["reason"] == "app_uninstalled"


def test_a_wrong_secret_is_diagnosed_for_the_client_it_named(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    wrong = basic(app.client_id, "not-the-secret")
    body = exchange_body(world.code(app, account), app.redirect_uri)
    answer = client.post("/v1/token", data=body, headers={"Authorization": wrong})
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")
    result = only(client, app)
    assert (result["error"], result["reason"]) == ("invalid_client", "invalid_secret")
    assert result["detail"] == {"method": "client_secret_basic"}


def test_an_old_secret_past_its_grace_is_diagnosed_as_expired(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    with platform.db.session(write=True) as session:
        row = apps.get_app(session, app.client_id)
        apps.rotate_secret(session, platform.keyring, row, grace_seconds=0, actor=ACTOR)
    answer = exchange(client, app, world.code(app, account))  # with the old secret
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")
    old = client.get(diagnostics.PATH, headers={"Authorization": app.basic})
    assert old.status_code == 401  # nor does the old secret read the diagnostics
    with platform.db.session() as session:
        reasons = session.scalars(select(TokenFailure.reason).where(TokenFailure.app_id == app.id))
        assert list(reasons) == ["secret_expired"]


def test_a_suspended_app_and_an_unsupported_grant_type_are_diagnosed(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    answer = post_token(client, app, grant_type="client_credentials")
    assert answer.json()["error"] == "unsupported_grant_type"
    code = world.code(app, account)
    world.set_app_active(app, False)
    answer = exchange(client, app, code)
    assert (answer.status_code, answer.json()["error"]) == (400, "unauthorized_client")
    world.set_app_active(app, True)
    newest, oldest = diagnosed(client, app)
    assert (newest["reason"], newest["error"]) == ("app_suspended", "unauthorized_client")
    assert oldest["reason"] == "unsupported_grant_type"
    assert oldest["detail"]["grant_type"] == "client_credentials"


@pytest.mark.parametrize(
    ("form", "description"),
    [
        ({"grant_type": "authorization_code", "redirect_uri": "x"}, "Missing code"),
        ({"code": "c", "redirect_uri": "x"}, "Missing grant_type"),
        ({"grant_type": "authorization_code", "code": "c"}, "Missing redirect_uri"),
    ],
)
def test_a_malformed_request_is_diagnosed_with_what_is_wrong(
    client: TestClient, world: World, form: dict[str, str], description: str
) -> None:
    app = world.app()
    answer = post_token(client, app, **form)
    assert answer.json() == {"error": "invalid_request", "error_description": description}
    result = only(client, app)
    assert (result["reason"], result["detail"]) == (
        "malformed_request",
        {"description": description},
    )


def test_a_request_too_malformed_to_authenticate_is_kept_for_the_client_it_names(
    client: TestClient, world: World
) -> None:
    app = world.app()
    body = "grant_type=authorization_code&code=a&code=b"  # a repeated parameter
    answer = client.post(
        "/v1/token",
        content=body,
        headers={"Authorization": app.basic, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.json()["error"] == "invalid_request"
    result = only(client, app)
    assert result["reason"] == "malformed_request"
    assert result["detail"] == {"description": "code is repeated"}


def test_diagnostics_never_hold_a_code_secret_or_token(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    token = exchange(client, app, code).json()["access_token"]
    exchange(client, app, code)  # reused
    wrong = basic(app.client_id, "a-wrong-secret-" + app.client_secret[:8])
    client.post(
        "/v1/token", data=exchange_body(code, app.redirect_uri), headers={"Authorization": wrong}
    )
    with platform.db.session() as session:
        rows = session.scalars(select(TokenFailure).where(TokenFailure.app_id == app.id)).all()
    kept = repr([(r.error, r.reason, r.detail, r.source_ip) for r in rows])
    assert len(rows) == 2
    for credential in (code, token, app.client_secret, "a-wrong-secret-"):
        assert credential not in kept


def test_a_client_reads_only_its_own_failures_of_the_last_week_newest_first(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, other = world.app(), world.app()
    for n in range(3):
        exchange(client, app, f"unknown-{n}")
    exchange(client, other, "unknown-other")
    keep_a_failure_older_than_a_week(platform, app)
    results = diagnosed(client, app)
    assert len(results) == 3
    assert [r["at"] for r in results] == sorted((r["at"] for r in results), reverse=True)
    assert all(r["detail"] == {} for r in results)
    assert len(diagnosed(client, other)) == 1


def test_reading_diagnostics_needs_the_clients_own_credentials(
    client: TestClient, world: World
) -> None:
    app = world.app()
    exchange(client, app, "unknown")
    refused = [
        client.get(diagnostics.PATH),
        client.get(diagnostics.PATH, headers={"Authorization": basic(app.client_id, "wrong")}),
        client.get(diagnostics.PATH, headers={"Authorization": "Bearer " + app.client_secret}),
    ]
    assert [(r.status_code, r.json()["error"]) for r in refused] == [(401, "invalid_client")] * 3
    put = client.put(diagnostics.PATH, headers={"Authorization": app.basic})
    assert (put.status_code, put.headers["allow"]) == (405, "GET, POST")
    posted = client.post(diagnostics.PATH, headers={"Authorization": app.basic})  # no form
    assert (posted.status_code, posted.json()["error"]) == (400, "invalid_request")
    queried = client.get(diagnostics.PATH + "?limit=5", headers={"Authorization": app.basic})
    assert (queried.status_code, queried.json()["error"]) == (400, "invalid_request")


def test_an_unknown_client_leaves_nothing_behind(
    client: TestClient, world: World, platform: Platform
) -> None:
    with platform.db.session() as session:
        before = session.scalar(select(TokenFailure.id).order_by(TokenFailure.id.desc()).limit(1))
    app = world.app()
    stranger = basic("no-such-client", app.client_secret)
    client.post("/v1/token", data=exchange_body("c", "x"), headers={"Authorization": stranger})
    with platform.db.session() as session:
        after = session.scalar(select(TokenFailure.id).order_by(TokenFailure.id.desc()).limit(1))
    assert after == before


def test_staff_read_an_apps_diagnostics_on_the_command_line(
    live_server: LiveServer, world: World
) -> None:
    app, account = world.app(), world.account()
    with httpx.Client(base_url=live_server.base_url) as http:
        exchange(http, app, "no-such-code")
        sent = "https://elsewhere.example/cb"
        http.post(
            "/v1/token",
            data=exchange_body(world.code(app, account), sent),
            headers={"Authorization": app.basic},
        )
    printed = live_server.cli("apps", "diagnostics", app.client_id, "--json")
    assert printed.returncode == 0, printed.stderr
    results = json.loads(printed.stdout)["results"]
    assert [r["reason"] for r in results] == ["redirect_uri_mismatch", "code_unknown"]
    assert results[0]["detail"]["sent"] == sent
    text = live_server.cli("apps", "diagnostics", app.client_id).stdout
    assert "redirect_uri_mismatch" in text
    assert f"sent={sent}" in text
    unknown = live_server.cli("apps", "diagnostics", "no-such-client")
    assert unknown.returncode != 0


def test_the_purge_forgets_failures_older_than_a_week(
    client: TestClient, world: World, platform: Platform
) -> None:
    app = world.app()
    exchange(client, app, "recent")
    keep_a_failure_older_than_a_week(platform, app)
    result = purge.purge_once(platform)
    assert result.ran
    assert result.token_failures >= 1
    with platform.db.session() as session:
        kept = session.scalars(select(TokenFailure.at).where(TokenFailure.app_id == app.id)).all()
    assert len(kept) == 1
    assert kept[0] > utcnow() - dt.timedelta(minutes=5)
