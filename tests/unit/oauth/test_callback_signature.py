"""zentail.oauth.callback_signature: the Install callback's ``timestamp`` and ``hmac``
(docs/callback-signature.md), as the platform signs and a partner verifies them."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from zentail.oauth.callback_signature import is_valid, sign, signing_message

NOW = 1_764_403_200
MAX_AGE = 300
SECRET = "31408421fb39334a730fc92e41e96986b60f6522a13f631ec93afa6f6c4e0cb3"

query_params = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda key: key not in {"hmac", "timestamp"}),
    st.text(max_size=30),
    max_size=5,
)


def signed(params: dict[str, str], secret: str = SECRET, at: int = NOW) -> dict[str, str]:
    stamped = params | {"timestamp": str(at)}
    return stamped | {"hmac": sign(stamped, secret)}


def test_the_message_is_sorted_key_value_pairs_without_hmac() -> None:
    params = {"timestamp": "1", "code": "c", "hmac": "ignored", "client_id": "i"}
    assert signing_message(params) == b"client_id=i&code=c&timestamp=1"


def test_the_signature_is_lowercase_hex_hmac_sha256_keyed_with_the_client_secret() -> None:
    params = {"client_id": "i", "code": "c", "timestamp": "1"}
    expected = hmac.new(SECRET.encode(), b"client_id=i&code=c&timestamp=1", hashlib.sha256)
    assert sign(params, SECRET) == expected.hexdigest()


@given(query_params, st.text(min_size=1, max_size=64))
def test_a_fresh_callback_signed_with_the_secret_verifies(
    params: dict[str, str], secret: str
) -> None:
    assert is_valid(signed(params, secret), [secret], now=NOW, max_age=MAX_AGE)


@given(query_params, st.sampled_from(["timestamp", "hmac", "extra"]), st.text(max_size=10))
def test_any_change_to_a_signed_callback_fails_verification(
    params: dict[str, str], field: str, suffix: str
) -> None:
    callback = signed(params)
    callback[field] = callback.get(field, "") + (suffix or "x")
    assert not is_valid(callback, [SECRET], now=NOW, max_age=MAX_AGE)


@given(query_params)
def test_another_secret_fails_verification(params: dict[str, str]) -> None:
    assert not is_valid(signed(params), ["0" * 64], now=NOW, max_age=MAX_AGE)


def test_any_of_several_secrets_verifies_during_a_rotation() -> None:
    assert is_valid(signed({"code": "c"}), ["0" * 64, SECRET], now=NOW, max_age=MAX_AGE)


@pytest.mark.parametrize(("age", "valid"), [(0, True), (300, True), (301, False)])
def test_a_callback_older_or_newer_than_max_age_fails_verification(age: int, valid: bool) -> None:
    """``|now − timestamp| > max_age`` is refused, whichever way the clocks are off."""
    assert is_valid(signed({}), [SECRET], now=NOW + age, max_age=MAX_AGE) is valid
    assert is_valid(signed({}), [SECRET], now=NOW - age, max_age=MAX_AGE) is valid


@pytest.mark.parametrize(
    "callback",
    [
        {"code": "c"},
        {"code": "c", "timestamp": str(NOW)},
        {"code": "c", "hmac": "ab"},
        {"code": "c", "timestamp": "", "hmac": "ab"},
        {"code": "c", "timestamp": "soon", "hmac": "ab"},
        {"code": "c", "timestamp": " 1764403200", "hmac": "ab"},
        {"code": "c", "timestamp": "1_764_403_200", "hmac": "ab"},
        {"code": "c", "timestamp": "١٧٦٤٤٠٣٢٠٠", "hmac": "ab"},  # non-ASCII digits
    ],
)
def test_a_missing_or_non_decimal_timestamp_or_hmac_fails_verification(
    callback: dict[str, str],
) -> None:
    assert not is_valid(callback, [SECRET], now=NOW, max_age=MAX_AGE)


@given(st.dictionaries(st.sampled_from(["code", "timestamp", "hmac"]), st.text()))
@example({"timestamp": "1" + "0" * 400, "hmac": "ab"})
@example({"timestamp": str(NOW), "hmac": "é"})
def test_any_forged_callback_is_refused_without_an_exception(callback: dict[str, str]) -> None:
    """A partner verifies untrusted input: whatever arrives, the answer is False (the odds
    of forging the HMAC are nil), never an exception."""
    assert is_valid(callback, [SECRET], now=NOW, max_age=MAX_AGE) is False
