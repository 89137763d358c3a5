"""Well-known third-party OAuth 2.0 clients complete the documented exchange against a real
server with ``client_secret_basic``, then call the Open API with the token they got.

What each needs, if anything, is the configuration docs/sdk.md ("Other OAuth clients") shows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuth2Client
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from httpx_oauth.oauth2 import OAuth2
from requests_oauthlib import OAuth2Session as RequestsOAuthlibSession

import zentail_partner as partner
from tests.partner import aio
from tests.partner.live import install, new_app
from tests.support import PASSWORD, LiveServer, World, query_params
from tests.web.pages import hidden_fields

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


def test_authlib_httpx_client_completes_the_partner_initiated_flow_with_pkce(
    live_server: LiveServer, world: World
) -> None:
    """Authlib builds the authorization URL with an S256 challenge; a seller's browser (an
    httpx client with the session cookie) logs in and approves; Authlib checks ``state``,
    exchanges the code with its verifier and calls the Open API with the token."""
    app, account = new_app(world, REDIRECT_URI), world.account()
    base = live_server.base_url
    with OAuth2Client(
        app.client_id,
        app.client_secret,
        redirect_uri=app.redirect_uri,
        scope="salesOrder:read",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    ) as partner_client:
        verifier = generate_token(64)
        url, state = partner_client.create_authorization_url(
            f"{base}/v1/authorize", code_verifier=verifier
        )
        callback = approve_in_browser(base, url, account.admin_email)
        assert query_params(callback)["iss"] == base
        partner_client.fetch_token(
            f"{base}/v1/token", authorization_response=callback, state=state, code_verifier=verifier
        )
        orders = partner_client.get(f"{base}/v1/salesOrder")
    assert orders.status_code == 200, orders.text
    assert orders.json()["results"] == []


def approve_in_browser(base_url: str, authorization_url: str, email: str) -> str:
    """What the seller does: open the URL, log in, approve; the callback URL it lands on."""
    with httpx.Client(base_url=base_url) as browser:
        to_login = browser.get(authorization_url)
        assert to_login.status_code == 303, to_login.text
        login_page = browser.get(to_login.headers["location"])
        form = hidden_fields(login_page) | {"email": email, "password": PASSWORD}
        logged_in = browser.post("/login", data=form)
        assert logged_in.status_code == 303, logged_in.text
        consent = browser.get(logged_in.headers["location"])
        decision = hidden_fields(consent) | {"decision": "approve"}
        approved = browser.post("/v1/authorize", data=decision)
        assert approved.status_code == 303, approved.text
        return str(approved.headers["location"])


# --- private_key_jwt (RFC 7523 §2.2) ------------------------------------------------------


def register_key(platform: Any, app: partner.AppCredentials, public_jwks: str) -> None:
    """Register the app's public key and make it accept signed assertions only."""
    from tests.support import ACTOR
    from zentail.domain import apps, client_keys

    with platform.db.session(write=True) as session:
        row = apps.get_app(session, app.client_id)
        client_keys.set_keys(session, row, jwks=public_jwks, actor=ACTOR, production=False)
        client_keys.set_secrets_accepted(session, row, accepted=False, actor=ACTOR)


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):  # type: ignore[misc]
    """Authlib's ``private_key_jwt`` with a one-minute ``exp`` and a fresh ``jti`` each
    time: its default ``exp`` is an hour ahead, which the platform refuses (at most 5 min)."""

    def sign(self, auth: Any, token_endpoint: str) -> Any:
        self.claims = {"exp": int(time.time()) + 60, "jti": generate_token(36)}
        return super().sign(auth, token_endpoint)


def test_authlib_httpx_client_exchanges_a_code_with_private_key_jwt(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str], platform: Any
) -> None:
    from joserfc.jwk import KeySet, RSAKey

    app, code = installed
    key = RSAKey.generate_key(2048, parameters={"kid": "authlib-1"})
    register_key(platform, app, json.dumps(KeySet([key]).as_dict(private=False)))
    token_endpoint = f"{live_server.base_url}/v1/token"
    sent: list[httpx.Request] = []
    with OAuth2Client(
        app.client_id,
        key.as_pem(private=True).decode(),
        redirect_uri=app.redirect_uri,
        token_endpoint_auth_method=ShortLivedPrivateKeyJWT(
            token_endpoint, headers={"kid": "authlib-1"}
        ),
        event_hooks={"request": [sent.append]},
    ) as client:
        client.fetch_token(token_endpoint, code=code)
        assert client.get(f"{live_server.base_url}/v1/salesOrder").status_code == 200
    form = parse_qs(sent[0].content.decode())
    assert "Authorization" not in sent[0].headers
    assert "client_secret" not in form
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]


def test_the_sdk_signs_the_code_exchange_with_a_private_key(
    live_server: LiveServer, installed: tuple[partner.AppCredentials, str], platform: Any
) -> None:
    from joserfc.jwk import ECKey, KeySet

    app, code = installed
    key = ECKey.generate_key("P-256", parameters={"kid": "sdk-1"})
    register_key(platform, app, json.dumps(KeySet([key]).as_dict(private=False)))
    signer = partner.PrivateKeySigner(
        json.dumps(key.as_dict(private=True)), token_endpoint=f"{live_server.base_url}/v1/token"
    )
    assert (signer.kid, signer.algorithm) == ("sdk-1", "ES256")
    with partner.Client(live_server.base_url) as zentail:
        token = zentail.call(partner.exchange_code(app, code, signer=signer))
    with partner.Client(live_server.base_url, token.access_token) as api:
        assert api.call(partner.list_sales_orders()) is not None
    with partner.Client(live_server.base_url) as zentail, pytest.raises(partner.InvalidClient):
        zentail.call(partner.exchange_code(app, code))  # its secret no longer authenticates it
