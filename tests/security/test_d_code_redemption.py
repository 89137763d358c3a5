"""Checklist §2.D — redeeming the code (items 33–38)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.security.helpers import (
    api_status,
    assert_oauth_error,
    concurrently,
    events,
    expire_code,
    introspect,
    token_request,
)
from tests.support import LiveServer, TestApp, World
from zentail.platform import Platform

CONCURRENT_EXCHANGES = 50


def test_item_33_second_redemption_is_400_invalid_grant_json(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    assert token_request(client, app, code).status_code == 200
    assert_oauth_error(token_request(client, app, code), 400, "invalid_grant")


def test_item_34_replay_revokes_the_token_issued_from_the_code(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    token = token_request(client, app, code).json()["access_token"]
    assert api_status(client, token) == 200
    assert_oauth_error(token_request(client, app, code), 400, "invalid_grant")
    assert api_status(client, token) == 401
    assert introspect(client, app, token) == {"active": False}
    (replay,) = events(platform, "code.replay_detected", app_id=app.id)
    assert replay.account_id == account.id
    assert len(replay.detail["revoked_token_ids"]) == 1


def exchange_concurrently(base_url: str, app: TestApp, code: str) -> list[httpx.Response]:
    """``CONCURRENT_EXCHANGES`` clients, each on its own connection, released at once."""
    return concurrently(base_url, CONCURRENT_EXCHANGES, lambda http: token_request(http, app, code))


@pytest.mark.serial  # 50 connections at once: a small load, so never beside another one
def test_item_35_concurrent_exchanges_of_one_code_give_exactly_one_token(
    live_server: LiveServer, world: World
) -> None:
    """Against a real server: one 200, every other answer ``invalid_grant``; the losers are
    replays, so the winner's token is revoked too (items 34 and 35 together)."""
    app, account = world.app(), world.account()
    code = world.code(app, account)
    responses = exchange_concurrently(live_server.base_url, app, code)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (CONCURRENT_EXCHANGES - 1)
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}
    (winner,) = [r.json()["access_token"] for r in responses if r.status_code == 200]
    with httpx.Client(base_url=live_server.base_url) as http:
        assert api_status(http, winner) == 401


def test_item_36_code_presented_by_another_authenticated_client_is_invalid_grant(
    client: TestClient, world: World
) -> None:
    owner, thief, account = world.app(), world.app(), world.account()
    code = world.code(owner, account)
    stolen = token_request(client, thief, code, redirect_uri=owner.redirect_uri)
    assert_oauth_error(stolen, 400, "invalid_grant")
    assert token_request(client, owner, code).status_code == 200


def test_item_37_missing_redirect_uri_is_refused(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = client.post(
        "/v1/token",
        data={"grant_type": "authorization_code", "code": world.code(app, account)},
        headers={"Authorization": app.basic},
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_item_37_mismatched_redirect_uri_is_invalid_grant(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = token_request(
        client, app, world.code(app, account), redirect_uri=app.redirect_uri + "x"
    )
    assert_oauth_error(response, 400, "invalid_grant")


def test_item_38_expired_unknown_and_revoked_codes_get_the_same_answer(
    client: TestClient, world: World, platform: Platform
) -> None:
    app = world.app()
    expired = world.code(app, world.account())
    expire_code(platform, expired)
    uninstalled_account = world.account()
    revoked = world.code(app, uninstalled_account)
    world.uninstall(app, uninstalled_account)
    answers = [token_request(client, app, code) for code in (expired, "ztc_" + "A" * 43, revoked)]
    for answer in answers:
        assert_oauth_error(answer, 400, "invalid_grant")
    assert len({answer.content for answer in answers}) == 1
