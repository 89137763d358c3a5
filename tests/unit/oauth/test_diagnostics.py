"""zentail.oauth.diagnostics and the failure reasons of client authentication: what a refused
token request keeps for its client's owner, and which client it names."""

from __future__ import annotations

import base64
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from zentail.crypto import Keyring
from zentail.oauth import client_auth, diagnostics
from zentail.oauth.endpoint import OAuthHttpRequest
from zentail.oauth.errors import InvalidGrant, InvalidRequest, UnsupportedGrantType
from zentail.oauth.stores import Client

NOW = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)
KEYRING = Keyring("k" * 64)


def request(body: bytes = b"", authorization: str | None = None) -> OAuthHttpRequest:
    return OAuthHttpRequest("POST", "application/x-www-form-urlencoded", b"", body, authorization)


def client_with(valid: tuple[str, ...], expired: tuple[str, ...] = ()) -> Client:
    digests = tuple(KEYRING.digest(s) for s in valid)
    old = tuple(KEYRING.digest(s) for s in expired)
    return Client(1, "client-1", "https://p.example/cb", True, digests, old)


def presented(secret: str) -> client_auth.PresentedCredentials:
    return client_auth.PresentedCredentials("client-1", secret, client_auth.BASIC)


def test_a_reason_attached_by_the_refusing_step_is_kept_with_its_detail() -> None:
    error = InvalidGrant("Invalid authorization code").because("code_expired", age_seconds=700)
    failure = diagnostics.failure_of(error, NOW)
    assert (failure.error, failure.reason, failure.detail) == (
        "invalid_grant",
        "code_expired",
        {"age_seconds": 700},
    )
    assert error.body() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }


def test_an_error_without_a_reason_is_a_malformed_request_with_its_description() -> None:
    failure = diagnostics.failure_of(InvalidRequest("Missing code"), NOW)
    assert (failure.reason, failure.detail) == (
        "malformed_request",
        {"description": "Missing code"},
    )
    unsupported = diagnostics.failure_of(UnsupportedGrantType("Only code"), NOW)
    assert unsupported.reason == "unsupported_grant_type"


@given(st.text(min_size=301, max_size=2000))
def test_detail_strings_are_bounded(sent: str) -> None:
    error = InvalidGrant().because("redirect_uri_mismatch", sent=sent)
    kept = diagnostics.failure_of(error, NOW).detail["sent"]
    assert kept == sent[: diagnostics.MAX_DETAIL_CHARS]


def test_the_client_named_by_basic_credentials_or_the_body() -> None:
    header = "Basic " + base64.b64encode(b"client-1:secret").decode()
    assert diagnostics.presented_client_id(request(authorization=header)) == "client-1"
    assert diagnostics.presented_client_id(request(b"client_id=client-2&x=1&x=2")) == "client-2"
    assert diagnostics.presented_client_id(request(b"code=c")) is None
    assert diagnostics.presented_client_id(request(authorization="Basic %%%")) is None
    long_id = b"client_id=" + b"a" * 129
    assert diagnostics.presented_client_id(request(long_id)) is None


@given(st.binary(max_size=300), st.one_of(st.none(), st.text(max_size=200)))
def test_naming_the_client_never_raises(body: bytes, authorization: str | None) -> None:
    named = diagnostics.presented_client_id(request(body, authorization))
    assert named is None or client_auth.plausible_client_id(named)


def test_an_expired_secret_is_told_from_a_wrong_one_and_never_accepted() -> None:
    client = client_with(valid=("new",), expired=("old",))
    assert client_auth.failure(client, KEYRING, presented("new")) is None
    assert client_auth.failure(client, KEYRING, presented("old")) == client_auth.EXPIRED_SECRET
    assert client_auth.failure(client, KEYRING, presented("typo")) == client_auth.WRONG_SECRET
    assert client_auth.failure(None, KEYRING, presented("new")) == client_auth.UNKNOWN_CLIENT


def test_an_entry_shows_the_instant_in_utc_with_milliseconds() -> None:
    failure = diagnostics.failure_of(InvalidGrant().because("code_unknown"), NOW)
    assert diagnostics.entry(failure) == {
        "at": "2026-12-04T02:00:00.000Z",
        "error": "invalid_grant",
        "reason": "code_unknown",
        "detail": {},
        "sourceIp": None,
    }


def test_every_reason_is_documented_for_partners_and_in_the_module() -> None:
    from pathlib import Path

    page = (Path(__file__).parents[3] / "docs" / "token-diagnostics.md").read_text()
    reasons = {
        value
        for name, value in vars(diagnostics).items()
        if name.isupper() and isinstance(value, str) and name.startswith(("CODE_", "REFRESH_"))
    }
    assert "refresh_token_reused" in reasons
    for reason in reasons:
        assert f"| `{reason}` |" in page, reason
        assert f"``{reason}``" in (diagnostics.__doc__ or ""), reason
