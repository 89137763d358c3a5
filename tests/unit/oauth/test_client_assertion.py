"""``zentail.oauth.client_assertion``: the RFC 7523 §3 checks, without I/O."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

from zentail.oauth import client_assertion as ca
from zentail.oauth.client_auth import extract
from zentail.oauth.errors import InvalidClient, InvalidRequest

ISSUER = "https://zentail.example"
CLIENT = "client-1"
NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
EC = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
RSA = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
OKP = OKPKey.generate_key("Ed25519", parameters={"kid": "okp-1"})
KEYS = KeySet.import_key_set(KeySet([EC, RSA, OKP]).as_dict(private=False))


def good_claims(**overrides: Any) -> dict[str, Any]:
    now = int(NOW.timestamp())
    base = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": ISSUER + "/v1/token",
        "exp": now + 60,
        "iat": now,
        "jti": "j-1",
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def reason_of(claims: dict[str, Any]) -> str:
    with pytest.raises(ca.Refused) as refused:
        ca.check_claims(claims, client_id=CLIENT, issuer=ISSUER, now=NOW)
    return refused.value.reason


def signed(key: Any, alg: str, claims: dict[str, Any], **header: Any) -> str:
    return jwt.encode({"alg": alg, "kid": key.kid, **header}, claims, key, algorithms=[alg])


def test_good_claims_are_accepted_until_exp_plus_leeway() -> None:
    accepted = ca.check_claims(good_claims(), client_id=CLIENT, issuer=ISSUER, now=NOW)
    assert accepted == ca.Accepted("j-1", NOW + dt.timedelta(seconds=60) + ca.LEEWAY)


@pytest.mark.parametrize("aud", [ISSUER, ISSUER + "/v1/token", ["other", ISSUER + "/v1/token"]])
def test_the_token_endpoint_or_the_issuer_is_an_accepted_audience(aud: Any) -> None:
    assert ca.check_claims(good_claims(aud=aud), client_id=CLIENT, issuer=ISSUER, now=NOW)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "https://elsewhere.example/v1/token"}, ca.ASSERTION_INVALID),
        ({"aud": None}, ca.ASSERTION_INVALID),
        ({"aud": [ISSUER + "/v1/revoke"]}, ca.ASSERTION_INVALID),
        ({"iss": "other"}, ca.ASSERTION_INVALID),
        ({"sub": "other"}, ca.ASSERTION_INVALID),
        ({"exp": None}, ca.ASSERTION_INVALID),
        ({"exp": "soon"}, ca.ASSERTION_INVALID),
        ({"exp": True}, ca.ASSERTION_INVALID),
        ({"exp": int(NOW.timestamp()) - 31}, ca.ASSERTION_EXPIRED),
        ({"exp": int(NOW.timestamp()) + 331}, ca.ASSERTION_INVALID),
        ({"nbf": int(NOW.timestamp()) + 31}, ca.ASSERTION_INVALID),
        ({"iat": int(NOW.timestamp()) + 31}, ca.ASSERTION_INVALID),
        ({"jti": None}, ca.ASSERTION_INVALID),
        ({"jti": ""}, ca.ASSERTION_INVALID),
        ({"jti": "x" * 257}, ca.ASSERTION_INVALID),
        ({"exp": 10**20}, ca.ASSERTION_INVALID),
    ],
)
def test_a_wrong_claim_is_refused_with_its_reason(overrides: dict[str, Any], reason: str) -> None:
    assert reason_of(good_claims(**overrides)) == reason


def test_clock_skew_within_the_leeway_is_tolerated() -> None:
    now = int(NOW.timestamp())
    skewed = good_claims(exp=now - 29, nbf=now + 29, iat=now + 29)
    assert ca.check_claims(skewed, client_id=CLIENT, issuer=ISSUER, now=NOW)


@given(offset=st.integers(min_value=-(10**6), max_value=10**6))
def test_exp_is_accepted_only_within_its_window(offset: int) -> None:
    claims = good_claims(exp=int(NOW.timestamp()) + offset)
    window = -ca.LEEWAY.total_seconds() < offset <= (ca.MAX_LIFETIME + ca.LEEWAY).total_seconds()
    if window:
        assert ca.check_claims(claims, client_id=CLIENT, issuer=ISSUER, now=NOW)
    else:
        assert reason_of(claims) in (ca.ASSERTION_EXPIRED, ca.ASSERTION_INVALID)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@given(claims=st.dictionaries(st.sampled_from(["iss", "sub", "aud", "exp", "jti"]), JSON))
def test_arbitrary_claims_are_accepted_or_refused_never_an_exception(
    claims: dict[str, Any],
) -> None:
    reason: str | None = None
    try:
        ca.check_claims(claims, client_id=CLIENT, issuer=ISSUER, now=NOW)
    except ca.Refused as refused:
        reason = refused.reason
    assert reason in (None, ca.ASSERTION_INVALID, ca.ASSERTION_EXPIRED)


@given(value=st.text(max_size=300))
def test_any_text_as_an_assertion_is_refused_never_an_exception(value: str) -> None:
    with pytest.raises(ca.Refused):
        ca.check(value, client_id=CLIENT, keys=KEYS, issuer=ISSUER, now=NOW)


@pytest.mark.parametrize(("key", "alg"), [(EC, "ES256"), (RSA, "RS256"), (OKP, "EdDSA")])
def test_each_supported_algorithm_verifies(key: Any, alg: str) -> None:
    assertion = signed(key, alg, good_claims())
    assert ca.check(assertion, client_id=CLIENT, keys=KEYS, issuer=ISSUER, now=NOW).jti == "j-1"


def test_an_unknown_kid_is_refused_as_unknown_kid() -> None:
    other = ECKey.generate_key("P-256", parameters={"kid": "elsewhere"})
    with pytest.raises(ca.Refused) as refused:
        ca.check(
            signed(other, "ES256", good_claims()),
            client_id=CLIENT,
            keys=KEYS,
            issuer=ISSUER,
            now=NOW,
        )
    assert refused.value.reason == ca.UNKNOWN_KID


def test_a_key_of_another_type_with_the_kid_is_not_used() -> None:
    """An ES256 header naming the RSA key's kid finds no EC key of that kid."""
    forged = jwt.encode({"alg": "ES256", "kid": "rsa-1"}, good_claims(), EC, algorithms=["ES256"])
    with pytest.raises(ca.Refused) as refused:
        ca.check(forged, client_id=CLIENT, keys=KEYS, issuer=ISSUER, now=NOW)
    assert refused.value.reason == ca.UNKNOWN_KID


def test_without_a_kid_the_only_key_of_the_type_is_used() -> None:
    only = KeySet.import_key_set(KeySet([EC]).as_dict(private=False))
    assertion = jwt.encode({"alg": "ES256"}, good_claims(), EC, algorithms=["ES256"])
    assert ca.check(assertion, client_id=CLIENT, keys=only, issuer=ISSUER, now=NOW)


@pytest.mark.parametrize("alg", ["none", "HS256", "HS512", "PS256", "ES384", None])
def test_an_algorithm_other_than_rs256_es256_eddsa_is_refused(alg: str | None) -> None:
    header = json.dumps({"alg": alg, "kid": "ec-1"}).encode()
    import base64

    def part(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    assertion = f"{part(header)}.{part(json.dumps(good_claims()).encode())}.{part(b'sig')}"
    with pytest.raises(ca.Refused) as refused:
        ca.check(assertion, client_id=CLIENT, keys=KEYS, issuer=ISSUER, now=NOW)
    assert refused.value.reason == ca.ASSERTION_INVALID


def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = signed(EC, "ES256", good_claims()).split(".")
    other = signed(EC, "ES256", good_claims(sub="other")).split(".")[1]
    with pytest.raises(ca.Refused) as refused:
        ca.check(
            f"{header}.{other}.{signature}", client_id=CLIENT, keys=KEYS, issuer=ISSUER, now=NOW
        )
    assert refused.value.reason == ca.ASSERTION_INVALID


def test_an_unknown_client_is_checked_against_a_decoy_key_and_refused() -> None:
    with pytest.raises(ca.Refused) as refused:
        ca.check(
            signed(EC, "ES256", good_claims()), client_id="", keys=None, issuer=ISSUER, now=NOW
        )
    assert refused.value.reason == ca.UNKNOWN_CLIENT


# --- presenting an assertion (client_auth.extract) -----------------------------------------


def form(assertion: str, **extra: str) -> dict[str, str]:
    return {"client_assertion_type": ca.ASSERTION_TYPE, "client_assertion": assertion, **extra}


def test_an_assertion_names_its_client_by_sub() -> None:
    presented = extract(None, form(signed(EC, "ES256", good_claims())))
    assert (presented.client_id, presented.method) == (CLIENT, "private_key_jwt")


@pytest.mark.parametrize(
    ("authorization", "extra"), [("Basic Y2xpZW50LTE6cw==", {}), (None, {"client_secret": "s"})]
)
def test_an_assertion_and_a_secret_is_invalid_request(
    authorization: str | None, extra: dict[str, str]
) -> None:
    with pytest.raises(InvalidRequest):
        extract(authorization, form(signed(EC, "ES256", good_claims()), **extra))


def test_a_client_id_other_than_the_assertions_sub_is_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        extract(None, form(signed(EC, "ES256", good_claims()), client_id="other"))


def test_another_assertion_type_is_invalid_client() -> None:
    params = {"client_assertion_type": "urn:other", "client_assertion": "a.b.c"}
    with pytest.raises(InvalidClient):
        extract(None, params)


# --- registration --------------------------------------------------------------------------


def jwks(*keys: dict[str, Any]) -> str:
    return json.dumps({"keys": list(keys)})


PUBLIC_EC = EC.as_dict(private=False)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("not json", "is not JSON"),
        (json.dumps({"keys": []}), "1 to 20 keys"),
        (json.dumps([PUBLIC_EC]), "1 to 20 keys"),
        (jwks(EC.as_dict(private=True)), "public keys only"),
        (jwks(RSA.as_dict(private=True)), "public keys only"),
        (jwks({"kty": "oct", "k": "c2VjcmV0", "kid": "h"}), "public keys only"),
        (jwks({**PUBLIC_EC, "kty": "oct"}), "kty RSA, EC or OKP"),
        (jwks({k: v for k, v in PUBLIC_EC.items() if k != "kid"}), "kid"),
        (jwks(PUBLIC_EC, PUBLIC_EC), "unique"),
        (jwks({**PUBLIC_EC, "use": "enc"}), "signing keys"),
        (jwks({**PUBLIC_EC, "x": "!!"}), "cannot be read"),
    ],
)
def test_a_jwks_an_app_may_not_register_is_refused(document: str, message: str) -> None:
    with pytest.raises(ca.InvalidJwks, match=message):
        ca.validate_jwks(document)


def test_a_public_jwks_is_accepted() -> None:
    assert (
        len(ca.validate_jwks(json.dumps(KeySet([EC, RSA, OKP]).as_dict(private=False))).keys) == 3
    )
