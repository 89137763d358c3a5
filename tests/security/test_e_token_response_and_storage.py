"""Checklist §2.E — the token response and how tokens are stored (items 39–43)."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.integration.test_credentials_at_rest import dump_database
from tests.security.helpers import (
    ERROR_DESCRIPTION_CHARSET,
    FORM,
    api_status,
    assert_oauth_error,
    introspect,
    token_request,
)
from tests.support import World
from zentail.api.oauth_endpoints import NoStoreMiddleware
from zentail.oauth.errors import InvalidRequest
from zentail.platform import Platform


def test_item_39_token_response_is_json_with_bearer_token(client: TestClient, world: World) -> None:
    """``expires_in`` is absent because the token does not expire (docs/decisions/0003 Q7);
    ``scope`` is absent because the request named none and the token has the granted one."""
    app, account = world.app(), world.account()
    response = token_request(client, app, world.code(app, account))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json().keys() == {"access_token", "token_type"}
    assert response.json()["token_type"] == "bearer"


@pytest.mark.parametrize("path", ["/v1/token", "/v1/revoke", "/v1/introspect"])
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "POST"])
def test_item_40_every_response_of_the_oauth_endpoints_is_no_store(
    client: TestClient, path: str, method: str
) -> None:
    response = client.request(method, path)
    assert response.status_code in {400, 401, 405}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def test_item_40_success_and_error_token_responses_are_no_store(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    for response in (token_request(client, app, code), token_request(client, app, code)):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"


def test_item_40_unexpected_failure_on_an_oauth_path_is_a_no_store_json_500() -> None:
    """Whatever fails below the endpoint, the answer keeps the RFC 6749 shape and headers."""

    def broken(request: Request) -> Response:
        raise RuntimeError("storage unavailable")

    app = Starlette(
        routes=[Route("/v1/token", broken, methods=["POST"])],
        middleware=[Middleware(NoStoreMiddleware)],  # where create_app puts it
    )
    with TestClient(app, raise_server_exceptions=False) as http:
        response = http.post("/v1/token")
    assert_oauth_error(response, 500, "server_error")
    assert "storage unavailable" not in response.text


@pytest.mark.parametrize(
    "body",
    [
        "a%0Ab=1&a%0Ab=2",
        'x"y=1&x"y=2',
        "\\=1&\\=2",
        "grant_type=authorization_code&grant_type=x",
        "client_id=a%00b&client_secret=x&grant_type=authorization_code",
        "client_id=%0A&client_secret=%0A",
    ],
)
def test_item_41_error_description_stays_within_rfc6749_charset(
    client: TestClient, body: str
) -> None:
    response = client.post("/v1/token", content=body, headers=FORM)
    assert response.status_code in {400, 401}
    assert ERROR_DESCRIPTION_CHARSET.match(response.json().get("error_description", ""))


def test_item_41_errors_refuse_descriptions_outside_the_charset() -> None:
    for forbidden in ('say "hi"', "back\\slash", "line\nbreak", "tab\t", "é"):
        with pytest.raises(ValueError, match="RFC 6749"):
            InvalidRequest(forbidden)


def test_item_42_access_tokens_are_prefixed_256_bit_values_for_one_account(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    token = token_request(client, app, world.code(app, account)).json()["access_token"]
    assert token.startswith("ztk_")
    assert len(base64.urlsafe_b64decode(token.removeprefix("ztk_") + "=")) == 32
    described = introspect(client, app, token)
    assert described["sub"] == str(account.id)
    assert described["account_id"] == account.id


def test_item_43_tokens_are_stored_only_as_digests(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    token = token_request(client, app, world.code(app, account)).json()["access_token"]
    digest = platform.keyring.digest(token)
    dump = dump_database(platform)
    assert token not in dump
    assert token.removeprefix("ztk_") not in dump
    assert digest in dump
    assert api_status(client, digest) == 401
    assert introspect(client, app, digest) == {"active": False}
