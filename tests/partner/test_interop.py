"""Well-known third-party OAuth 2.0 clients complete the documented exchange against a real
server with ``client_secret_basic``, then call the Open API with the token they got.

What each needs, if anything, is the configuration docs/sdk.md ("Other OAuth clients") shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import requests
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from httpx_oauth.oauth2 import OAuth2
from requests_oauthlib import OAuth2Session as RequestsOAuthlibSession

import zentail_partner as partner
from tests.partner import aio
from tests.partner.live import install, new_app
from tests.support import LiveServer, World, query_params

pytestmark = pytest.mark.server
REDIRECT_URI = "https://partner.example/oauth_callback"


@pytest.fixture
def installed(live_server: LiveServer, world: World) -> tuple[partner.AppCredentials, str]:
    """A freshly registered app installed on a fresh account, and the callback's code."""
    app = new_app(world, REDIRECT_URI)
    code = query_params(install(live_server, app, world.account()))["code"]
    return app, code


@pytest.fixture
def insecure_transport_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses plain http unless told otherwise; the sandbox is http on loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def assert_client_secret_basic(
    headers: Mapping[str, str], body: bytes, app: partner.AppCredentials
) -> None:
    """The token request authenticated with Basic and carried the documented body."""
    assert headers["Authorization"].startswith("Basic ")
    form = parse_qs(body.decode())
    assert "client_secret" not in form
    assert form["grant_type"] == ["authorization_code"]
    assert form["redirect_uri"] == [app.redirect_uri]


def as_bytes(body: str | bytes | None) -> bytes:
    return body.encode() if isinstance(body, str) else body or b""


def token_request_recorder(sent: list[requests.PreparedRequest]) -> Any:
    def record(response: requests.Response, *args: object, **kwargs: object) -> None:
        if response.request.url and response.request.url.endswith("/v1/token"):
            sent.append(response.request)

    return record


def test_authlib_requests_session(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str]
) -> None:
    app, code = installed
    with AuthlibSession(
        app.client_id,
        app.client_secret,
        redirect_uri=app.redirect_uri,
        token_endpoint_auth_method="client_secret_basic",
    ) as session:
        sent: list[requests.PreparedRequest] = []
        session.hooks["response"].append(token_request_recorder(sent))
        token = session.fetch_token(f"{live_server.base_url}/v1/token", code=code)
        orders = session.get(f"{live_server.base_url}/v1/salesOrder?status=PENDING")
    assert_client_secret_basic(sent[0].headers, as_bytes(sent[0].body), app)
    assert token["token_type"] == "bearer"
    assert orders.status_code == 200, orders.text
    assert orders.json()["results"] == []


def test_authlib_async_httpx_client(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str]
) -> None:
    app, code = installed

    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path == "/v1/token":
            sent.append(request)

    async def flow() -> int:
        async with AsyncOAuth2Client(
            app.client_id,
            app.client_secret,
            redirect_uri=app.redirect_uri,
            token_endpoint_auth_method="client_secret_basic",
            event_hooks={"request": [record]},
        ) as client:
            await client.fetch_token(f"{live_server.base_url}/v1/token", code=code)
            response = await client.get(f"{live_server.base_url}/v1/salesOrder")
            return response.status_code

    assert aio.run(flow()) == 200
    assert_client_secret_basic(sent[0].headers, sent[0].content, app)


@pytest.mark.usefixtures("insecure_transport_allowed")
def test_requests_oauthlib_session(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str]
) -> None:
    app, code = installed
    session = RequestsOAuthlibSession(app.client_id, redirect_uri=app.redirect_uri)
    sent: list[requests.PreparedRequest] = []
    session.hooks["response"].append(token_request_recorder(sent))
    # With client_secret and no include_client_id, requests-oauthlib authenticates with
    # HTTP Basic and sends redirect_uri from the session in the body.
    token = session.fetch_token(
        f"{live_server.base_url}/v1/token", code=code, client_secret=app.client_secret
    )
    orders = session.get(f"{live_server.base_url}/v1/salesOrder")
    assert_client_secret_basic(sent[0].headers, as_bytes(sent[0].body), app)
    assert token["access_token"]
    assert orders.status_code == 200, orders.text


def test_httpx_oauth_client(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str]
) -> None:
    app, code = installed
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    class RecordingOAuth2(OAuth2):  # type: ignore[misc]
        def get_httpx_client(self) -> httpx.AsyncClient:
            return httpx.AsyncClient(event_hooks={"request": [record]})

    client = RecordingOAuth2(
        app.client_id,
        app.client_secret,
        authorize_endpoint=f"{live_server.base_url}/unused-the-platform-starts-the-flow",
        access_token_endpoint=f"{live_server.base_url}/v1/token",
        token_endpoint_auth_method="client_secret_basic",  # its default is client_secret_post
    )
    token = aio.run(client.get_access_token(code, app.redirect_uri))
    assert_client_secret_basic(sent[0].headers, sent[0].content, app)
    with partner.Client(live_server.base_url, token["access_token"]) as api:
        assert list(api.paginate(partner.list_sales_orders())) == []
