"""Checklist §2.H — refresh tokens (items 51–54; RFC 6749 §6, RFC 9700 §4.14.2,
docs/decisions/0065)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.security.helpers import (
    api_status,
    assert_oauth_error,
    concurrently,
    events,
    token_request,
)
from tests.support import LiveServer, TestApp, World
from zentail.platform import Platform
from zentail.storage.models import RefreshToken

CONCURRENT_REFRESHES = 50
LIFETIME = 600


def refresh(http: TestClient | httpx.Client, app: TestApp, token: str) -> httpx.Response:
    return http.post(
        "/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        headers={"Authorization": app.basic},
    )


def first_pair(http: TestClient | httpx.Client, world: World) -> tuple[TestApp, dict[str, str]]:
    app = world.app(token_lifetime_seconds=LIFETIME)
    response = token_request(http, app, world.code(app, world.account()))
    assert response.status_code == 200
    return app, response.json()


def test_item_51_each_refresh_rotates_the_refresh_token(client: TestClient, world: World) -> None:
    app, first = first_pair(client, world)
    second = refresh(client, app, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert api_status(client, second["access_token"]) == 200  # the first token is dead now
    assert_oauth_error(refresh(client, app, first["refresh_token"]), 400, "invalid_grant")


def test_item_52_reuse_of_a_dead_refresh_token_revokes_the_family_and_is_audited(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, first = first_pair(client, world)
    second = refresh(client, app, first["refresh_token"]).json()
    third = refresh(client, app, second["refresh_token"]).json()
    assert_oauth_error(refresh(client, app, first["refresh_token"]), 400, "invalid_grant")
    assert api_status(client, third["access_token"]) == 401
    assert_oauth_error(refresh(client, app, third["refresh_token"]), 400, "invalid_grant")
    reuse, dead = events(platform, "refresh_token.reuse_detected", app_id=app.id)
    assert (reuse.detail["verdict"], len(reuse.detail["revoked_token_ids"])) == ("reused", 1)
    assert (dead.detail["verdict"], dead.detail["revoked_token_ids"]) == ("revoked", [])


def refresh_concurrently(base_url: str, app: TestApp, token: str) -> list[httpx.Response]:
    """``CONCURRENT_REFRESHES`` clients, each on its own connection, released at once."""
    return concurrently(base_url, CONCURRENT_REFRESHES, lambda http: refresh(http, app, token))


@pytest.mark.serial  # 50 connections at once: a small load, so never beside another one
def test_item_53_concurrent_refreshes_with_one_token_give_exactly_one_working_pair(
    live_server: LiveServer, world: World
) -> None:
    """Against a real server: one 200, every other answer ``invalid_grant``; the losers
    raced the winner within the race window, which is not reuse, so the winner's pair
    works (docs/decisions/0065)."""
    with httpx.Client(base_url=live_server.base_url) as http:
        app, first = first_pair(http, world)
    responses = refresh_concurrently(live_server.base_url, app, first["refresh_token"])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (CONCURRENT_REFRESHES - 1)
    assert {r.json()["error"] for r in responses if r.status_code == 400} == {"invalid_grant"}
    (winner,) = [r.json() for r in responses if r.status_code == 200]
    with httpx.Client(base_url=live_server.base_url) as http:
        assert api_status(http, winner["access_token"]) == 200
        assert refresh(http, app, winner["refresh_token"]).status_code == 200


def test_item_54_refresh_tokens_are_digests_bound_to_their_client_and_not_bearer_tokens(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, first = first_pair(client, world)
    raw = first["refresh_token"]
    with platform.db.session() as session:
        (stored,) = session.scalars(select(RefreshToken).where(RefreshToken.app_id == app.id))
        assert stored.digest == platform.keyring.digest(raw)
        assert raw not in repr(stored.__dict__)
    assert api_status(client, raw) == 401
    thief = world.app(token_lifetime_seconds=LIFETIME)
    assert_oauth_error(refresh(client, thief, raw), 400, "invalid_grant")
    assert refresh(client, app, raw).status_code == 200  # the owner's token survived it
