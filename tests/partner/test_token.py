"""The code exchange request and the reading of RFC 6749 answers."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import httpx
import pytest

import zentail_partner as partner
from tests.partner.canned import BASE_URL, Recorder
from zentail.oauth.client_auth import parse_basic

APP = partner.AppCredentials(
    "6779ef20e75817b79602", "s3cret", "http://127.0.0.1:8001/oauth_callback"
)


def exchange(answer: httpx.Response) -> tuple[partner.AccessToken, httpx.Request]:
    recorder = Recorder(answer)
    with partner.Client(BASE_URL, transport=recorder.transport) as client:
        return client.call(partner.exchange_code(APP, "l4b6iplj3r")), recorder.last


def oauth_error(status: int, error: str, description: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "error_description": description})


def test_the_exchange_is_the_documented_form_post_with_basic_auth() -> None:
    token, request = exchange(
        httpx.Response(200, json={"access_token": "T0K", "token_type": "bearer"})
    )
    assert (token.access_token, token.token_type) == ("T0K", "bearer")
    assert request.method == "POST"
    assert str(request.url) == f"{BASE_URL}/v1/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["l4b6iplj3r"],
        "redirect_uri": [APP.redirect_uri],
    }
    credentials = base64.b64decode(request.headers["Authorization"].removeprefix("Basic "))
    assert credentials == b"6779ef20e75817b79602:s3cret"


def test_basic_credentials_are_form_encoded_before_base64_as_rfc6749_says() -> None:
    header = partner.basic_authorization("app:1", "p@ss w+rd/é")
    assert base64.b64decode(header.removeprefix("Basic ")) == b"app%3A1:p%40ss+w%2Brd%2F%C3%A9"
    assert parse_basic(header) == ("app:1", "p@ss w+rd/é")


def test_the_access_token_never_shows_in_its_repr() -> None:
    token, _ = exchange(httpx.Response(200, json={"access_token": "T0K", "token_type": "bearer"}))
    assert "T0K" not in repr(token)


@pytest.mark.parametrize(
    ("answer", "error_class", "message"),
    [
        (
            oauth_error(400, "invalid_grant", "Code is invalid"),
            partner.InvalidGrant,
            "invalid_grant \\(Code is invalid\\)",
        ),
        (
            oauth_error(401, "invalid_client", "Client authentication failed"),
            partner.InvalidClient,
            "invalid_client",
        ),
        (
            oauth_error(400, "unsupported_grant_type", "Only authorization_code"),
            partner.TokenExchangeError,
            "unsupported_grant_type",
        ),
        (
            httpx.Response(502, text="<h1>Bad gateway</h1>"),
            partner.UnexpectedResponse,
            "not an RFC 6749 error",
        ),
        (
            httpx.Response(200, json={"token_type": "bearer"}),
            partner.UnexpectedResponse,
            "no access_token",
        ),
    ],
)
def test_a_refused_exchange_raises_what_went_wrong(
    answer: httpx.Response, error_class: type[Exception], message: str
) -> None:
    with pytest.raises(error_class, match=message):
        exchange(answer)


def test_an_oauth_error_carries_code_description_and_status() -> None:
    with pytest.raises(partner.InvalidClient) as caught:
        exchange(oauth_error(401, "invalid_client", "Client authentication failed"))
    assert (caught.value.error, caught.value.description, caught.value.status) == (
        "invalid_client",
        "Client authentication failed",
        401,
    )


def test_slow_down_is_rate_limited_with_its_retry_after() -> None:
    answer = oauth_error(429, "slow_down", "Too many failed attempts; retry later")
    answer.headers["Retry-After"] = "300"
    with pytest.raises(partner.RateLimited, match="Too many failed attempts") as caught:
        exchange(answer)
    assert caught.value.retry_after == 300
