"""Expiring tokens against a real server: the SDK refreshes and stores each new pair, and
Authlib's httpx client refreshes by itself through ``update_token`` (docs/decisions/0065)."""

from __future__ import annotations

from typing import Any

import pytest
from authlib.integrations.httpx_client import OAuth2Client

import zentail_partner as partner
from tests.partner.live import install
from tests.support import LiveServer, World, query_params

pytestmark = pytest.mark.server
REDIRECT_URI = "https://partner.example/oauth_callback"
LIFETIME = 60  # the shortest allowed: inside Authlib's and the SDK's default 60 s margin


@pytest.fixture
def installed(live_server: LiveServer, world: World) -> tuple[partner.AppCredentials, str]:
    """An app issuing expiring tokens, installed on a fresh account, and the callback's code."""
    app = world.app(redirect_uri=REDIRECT_URI, token_lifetime_seconds=LIFETIME)
    credentials = partner.AppCredentials(app.client_id, app.client_secret, REDIRECT_URI)
    code = query_params(install(live_server, credentials, world.account()))["code"]
    return credentials, code


def test_the_sdk_refreshes_before_expiry_and_stores_every_pair(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str]
) -> None:
    app, code = installed
    with partner.Client(live_server.base_url) as anonymous:
        first = anonymous.call(partner.exchange_code(app, code))
    assert (first.expires_in, first.refresh_token is not None) == (LIFETIME, True)
    stored: list[partner.AccessToken] = []
    with partner.Client(live_server.base_url, first, app=app, on_tokens=stored.append) as client:
        client.call(partner.list_sales_orders())
        client.call(partner.list_sales_orders())
    assert len(stored) == 2  # each call found the token within the margin
    assert len({t.refresh_token for t in [first, *stored]}) == 3
    with partner.Client(live_server.base_url, stored[-1].access_token) as latest:
        assert latest.call(partner.list_sales_orders()) is not None


def test_the_sdk_refreshes_on_a_401(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str]
) -> None:
    app, code = installed
    with partner.Client(live_server.base_url) as anonymous:
        first = anonymous.call(partner.exchange_code(app, code))
        second = anonymous.call(partner.refresh_access_token(app, first.refresh_token or ""))
    # ``first`` is dead now that ``second`` exists; its refresh token is still in its grace.
    stale = partner.AccessToken(
        first.access_token, "bearer", None, LIFETIME, second.refresh_token, None
    )
    stored: list[partner.AccessToken] = []
    with partner.Client(live_server.base_url, stale, app=app, on_tokens=stored.append) as client:
        client.call(partner.list_sales_orders())
    assert len(stored) == 1


def test_authlib_httpx_client_refreshes_through_update_token(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str]
) -> None:
    app, code = installed
    token_endpoint = f"{live_server.base_url}/v1/token"
    updates: list[dict[str, Any]] = []

    def update_token(token: dict[str, Any], refresh_token: str | None = None, **_: Any) -> None:
        updates.append({"token": dict(token), "old": refresh_token})

    with OAuth2Client(
        app.client_id,
        app.client_secret,
        redirect_uri=app.redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
        token_endpoint=token_endpoint,
        update_token=update_token,
    ) as client:
        first = client.fetch_token(token_endpoint, code=code)
        assert first["refresh_token"].startswith("ztr_")
        response = client.get(f"{live_server.base_url}/v1/salesOrder")
        assert response.status_code == 200
    (update,) = updates
    assert update["old"] == first["refresh_token"]
    assert update["token"]["refresh_token"] != first["refresh_token"]
    assert update["token"]["access_token"] != first["access_token"]
