"""Verifying the install callback: signature, freshness, client_id (zentail_partner)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from zentail.oauth import callback_signature
from zentail_partner import AppCredentials, InvalidCallback, verify_callback

NOW = 1_800_000_000
APP = AppCredentials("6779ef20e75817b79602", "current-secret", "https://p.example/oauth_callback")


def callback_url(*, key: str = APP.client_secret, timestamp: int = NOW, **overrides: str) -> str:
    params = {"client_id": APP.client_id, "code": "l4b6iplj3r", "timestamp": str(timestamp)}
    params["hmac"] = callback_signature.sign(params, key)
    params.update(overrides)
    return f"{APP.redirect_uri}?{urlencode(params)}"


def test_a_genuine_callback_yields_its_code() -> None:
    callback = verify_callback(callback_url(), APP, now=NOW + 10)
    assert (callback.client_id, callback.code, callback.timestamp) == (
        APP.client_id,
        "l4b6iplj3r",
        NOW,
    )
    assert "l4b6iplj3r" not in repr(callback)


def test_query_string_and_decoded_mapping_are_accepted_too() -> None:
    url = callback_url()
    query = url.split("?", 1)[1]
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    assert verify_callback(query, APP, now=NOW).code == "l4b6iplj3r"
    assert verify_callback(params, APP, now=NOW).code == "l4b6iplj3r"


def test_a_previous_secret_is_accepted_during_rotation() -> None:
    rotating = AppCredentials(
        APP.client_id, "new-secret", APP.redirect_uri, previous_secrets=("current-secret",)
    )
    assert verify_callback(callback_url(), rotating, now=NOW).code == "l4b6iplj3r"
    with pytest.raises(InvalidCallback, match="matches none"):
        verify_callback(callback_url(), AppCredentials(APP.client_id, "new-secret", ""), now=NOW)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (callback_url(code="attacker-code"), "matches none of the app's client secrets"),
        (callback_url(key="someone-else"), "matches none"),
        (callback_url(client_id="another-app"), "is for client_id 'another-app'"),
        (callback_url(timestamp=NOW - 301), "is 301 s old"),
        (callback_url(timestamp=NOW + 301), "dated 301 s in the future"),
        (callback_url(timestamp=NOW, hmac=""), "lacks hmac"),
        (callback_url(timestamp=NOW) + "&code=second", "repeats code"),
        (callback_url(injected="parameter"), "matches none"),
        (APP.redirect_uri + "?client_id=6779ef20e75817b79602", "lacks code, timestamp, hmac"),
    ],
)
def test_a_forged_stale_or_incomplete_callback_is_refused(url: str, reason: str) -> None:
    with pytest.raises(InvalidCallback, match=reason):
        verify_callback(url, APP, now=NOW)


def test_a_timestamp_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(InvalidCallback, match="not a Unix time"):
        verify_callback(callback_url(timestamp=NOW).replace(str(NOW), "yesterday"), APP, now=NOW)


def test_max_age_is_configurable() -> None:
    url = callback_url(timestamp=NOW - 100)
    assert verify_callback(url, APP, now=NOW).code
    with pytest.raises(InvalidCallback, match="at most 60 s either way"):
        verify_callback(url, APP, now=NOW, max_age=60)
