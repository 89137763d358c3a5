"""``private_key_jwt`` client authentication: a JWT the client signs with its private key
(RFC 7523 §2.2, §3; RFC 7521 §4.2), checked against the public keys it registered.

    extract the header (alg, kid) → pick the registered key → verify the signature
    (joserfc; RS256, ES256 or EdDSA only) → check the claims → the jti is used once

Framework-free and pure: the registered keys and the store of used ``jti`` values are handed
in by the caller (:class:`AssertionContext`, :class:`AsyncAssertionContext`). Every refusal
is a :class:`Refused` carrying a stable reason (:mod:`zentail.oauth.diagnostics`); the
endpoint answers it ``invalid_client`` (RFC 7521 §4.2.1). An assertion is never logged or
stored; only a digest of its ``jti`` is kept, until its ``exp``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

from zentail.oauth.stores import Client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
METHOD = "private_key_jwt"
ALGORITHMS = ("RS256", "ES256", "EdDSA")
KEY_TYPES = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}
MAX_LIFETIME = dt.timedelta(minutes=5)  # exp at most this far ahead of now
LEEWAY = dt.timedelta(seconds=30)  # clock skew tolerated on exp, nbf and iat
MAX_ASSERTION_CHARS = 8192
MAX_JTI_CHARS = 256
MAX_KEYS = 20
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")

# joserfc warns that "EdDSA" is superseded by "Ed25519" (RFC 9864); RFC 7523 clients and
# Authlib still send "EdDSA", which stays accepted (Ed25519 keys only).
warnings.filterwarnings("ignore", message="EdDSA is deprecated", module="joserfc")

# Reasons (the audit's, and the diagnostics' in zentail.oauth.diagnostics).
ASSERTION_INVALID = "assertion_invalid"
ASSERTION_EXPIRED = "assertion_expired"
ASSERTION_REPLAYED = "assertion_replayed"
UNKNOWN_KID = "unknown_kid"
NO_KEYS = "no_keys_registered"
UNKNOWN_CLIENT = "unknown client"


class Refused(Exception):
    """The assertion does not authenticate the client; ``reason`` is one of the above."""

    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description


@dataclass(frozen=True)
class Accepted:
    """A verified assertion: its ``jti`` must now be used once, until ``expires_at``."""

    jti: str
    expires_at: dt.datetime


class AssertionContext(Protocol):
    """What the check needs from outside, for code in a worker thread."""

    @property
    def issuer(self) -> str: ...

    def assertion_keys(self, client: Client) -> KeySet | None:
        """The client's registered public keys (``None`` when it has none, or they cannot
        be read now)."""
        ...

    def first_use(self, client_id: str, jti: str, until: dt.datetime) -> bool:
        """Remember ``jti`` for ``client_id`` until ``until``; ``False`` if it was already
        remembered (shared by every node). Raises ``TemporarilyUnavailable`` when it
        cannot tell."""
        ...


class AsyncAssertionContext(Protocol):
    """:class:`AssertionContext` for code on the event loop."""

    @property
    def issuer(self) -> str: ...

    async def assertion_keys(self, client: Client) -> KeySet | None: ...

    async def first_use(self, client_id: str, jti: str, until: dt.datetime) -> bool: ...


def audiences(issuer: str) -> frozenset[str]:
    """RFC 7523 §3 item 3: the token endpoint's URL identifies this server; its issuer
    identifier (RFC 8414 §2) is accepted too. The same audience serves revocation,
    introspection and diagnostics, as RFC 7523 §3 allows."""
    return frozenset({issuer, issuer.rstrip("/"), issuer.rstrip("/") + "/v1/token"})


def _segment(value: str) -> Any:
    padded = value + "=" * (-len(value) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def unverified_parts(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of ``assertion``, unverified (to name the client and pick its
    key). Anything that is not a compact JWS of two JSON objects is :class:`Refused`."""
    if len(assertion) > MAX_ASSERTION_CHARS or not _COMPACT_JWS.fullmatch(assertion):
        raise Refused(ASSERTION_INVALID, "not a compact JWS")
    header_part, claims_part, _ = assertion.split(".")
    try:
        header, claims = _segment(header_part), _segment(claims_part)
    except ValueError:  # binascii.Error, UnicodeDecodeError, JSONDecodeError
        raise Refused(ASSERTION_INVALID, "not a compact JWS") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Refused(ASSERTION_INVALID, "not a compact JWS")
    return header, claims


def subject(assertion: str) -> str | None:
    """The client an assertion names (``sub``, RFC 7523 §3 item 2), unverified; ``None``
    when it names none."""
    try:
        sub = unverified_parts(assertion)[1].get("sub")
    except Refused:
        return None
    return sub if isinstance(sub, str) else None


@cache
def _decoy_keys() -> dict[str, Any]:
    """Keys nobody holds, one per algorithm: an unknown client's assertion is verified
    against one, so it costs the same work as a known client's (and never passes)."""
    return {
        "RS256": RSAKey.generate_key(2048),
        "ES256": ECKey.generate_key("P-256"),
        "EdDSA": OKPKey.generate_key("Ed25519"),
    }


def _pick_key(header: Mapping[str, Any], keys: KeySet | None) -> tuple[Any, Refused | None]:
    """The key to verify with, and the refusal to raise after verifying (an unknown client
    or ``kid`` is verified against a decoy key, so it costs the same work)."""
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise Refused(ASSERTION_INVALID, "alg must be RS256, ES256 or EdDSA")
    decoy = _decoy_keys()[alg]
    if keys is None:
        return decoy, Refused(UNKNOWN_CLIENT, "unknown client")
    kid = header.get("kid")
    candidates = [k for k in keys.keys if k.key_type == KEY_TYPES[alg]]
    if kid is None and len(candidates) == 1:
        return candidates[0], None
    match = [k for k in candidates if isinstance(kid, str) and k.kid == kid]
    if not match:
        return decoy, Refused(UNKNOWN_KID, "no registered key of this type has this kid")
    return match[0], None


def _signature_verifies(assertion: str, alg: str, key: Any) -> bool:
    try:
        jws.deserialize_compact(assertion, key, algorithms=[alg])
    except (JoseError, ValueError, TypeError):
        return False
    return True


def check(
    assertion: str,
    *,
    client_id: str,
    keys: KeySet | None,
    issuer: str,
    now: dt.datetime,
) -> Accepted:
    """Verify ``assertion`` for ``client_id`` against ``keys`` (``None``: an unknown client,
    refused after the same work) and check its claims (RFC 7523 §3); return its ``jti``."""
    header, claims = unverified_parts(assertion)
    key, refusal = _pick_key(header, keys)
    verifies = _signature_verifies(assertion, header["alg"], key)
    if refusal is not None:
        raise refusal
    if not verifies:
        raise Refused(ASSERTION_INVALID, "the signature does not verify")
    return check_claims(claims, client_id=client_id, issuer=issuer, now=now)


def _instant(claims: Mapping[str, Any], name: str) -> dt.datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused(ASSERTION_INVALID, f"{name} must be a NumericDate")
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise Refused(ASSERTION_INVALID, f"{name} is out of range") from None


def _check_times(claims: Mapping[str, Any], now: dt.datetime) -> dt.datetime:
    exp = _instant(claims, "exp")
    if exp is None:
        raise Refused(ASSERTION_INVALID, "exp is required")
    if exp <= now - LEEWAY:
        raise Refused(ASSERTION_EXPIRED, "the assertion has expired")
    if exp > now + MAX_LIFETIME + LEEWAY:
        raise Refused(ASSERTION_INVALID, "exp is more than 5 minutes ahead")
    nbf, iat = _instant(claims, "nbf"), _instant(claims, "iat")
    if nbf is not None and nbf > now + LEEWAY:
        raise Refused(ASSERTION_INVALID, "nbf is in the future")
    if iat is not None and iat > now + LEEWAY:
        raise Refused(ASSERTION_INVALID, "iat is in the future")
    return exp


def check_claims(
    claims: Mapping[str, Any], *, client_id: str, issuer: str, now: dt.datetime
) -> Accepted:
    """RFC 7523 §3: ``iss`` and ``sub`` are the client ID, ``aud`` names this server,
    ``exp`` is ahead (within :data:`LEEWAY`) and at most :data:`MAX_LIFETIME` away,
    ``nbf``/``iat`` are not in the future, and ``jti`` is present."""
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise Refused(ASSERTION_INVALID, "iss and sub must be the client ID")
    aud = claims.get("aud")
    named = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not audiences(issuer).intersection(a for a in named if isinstance(a, str)):
        raise Refused(ASSERTION_INVALID, "aud must be the token endpoint URL")
    expires_at = _check_times(claims, now)
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
        raise Refused(ASSERTION_INVALID, f"jti is required (at most {MAX_JTI_CHARS} chars)")
    return Accepted(jti, expires_at + LEEWAY)


def verify(context: AssertionContext, assertion: str, client: Client | None) -> Client:
    """The whole check for a worker thread: ``client`` when ``assertion`` authenticates it
    (first use of its ``jti``), else :class:`Refused`."""
    keys = context.assertion_keys(client) if client else None
    accepted = _checked(assertion, client, keys, context.issuer)
    if not context.first_use(accepted.client_id, accepted.jti, accepted.expires_at):
        raise Refused(ASSERTION_REPLAYED, "this jti was used before")
    return accepted.client


async def averify(context: AsyncAssertionContext, assertion: str, client: Client | None) -> Client:
    """:func:`verify` for the event loop."""
    keys = await context.assertion_keys(client) if client else None
    accepted = _checked(assertion, client, keys, context.issuer)
    if not await context.first_use(accepted.client_id, accepted.jti, accepted.expires_at):
        raise Refused(ASSERTION_REPLAYED, "this jti was used before")
    return accepted.client


@dataclass(frozen=True)
class _Verified:
    client: Client
    jti: str
    expires_at: dt.datetime

    @property
    def client_id(self) -> str:
        return self.client.client_id


def _checked(assertion: str, client: Client | None, keys: KeySet | None, issuer: str) -> _Verified:
    """:func:`check` at the current time. A known client without usable keys is checked
    against the decoy key like an unknown one (the same work), then refused as
    :data:`NO_KEYS`."""
    now = dt.datetime.now(dt.UTC)
    client_id = client.client_id if client else ""
    try:
        accepted = check(assertion, client_id=client_id, keys=keys, issuer=issuer, now=now)
    except Refused as refused:
        if client is not None and refused.reason == UNKNOWN_CLIENT:
            raise Refused(NO_KEYS, "the client has no usable registered keys") from None
        raise
    assert client is not None  # check() refuses every assertion when keys is None
    return _Verified(client, accepted.jti, accepted.expires_at)


# --- registration: which JWKS documents an app may register --------------------------------

PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class InvalidJwks(ValueError):
    """The document is not a set of public RSA, EC or OKP keys with unique ``kid``s."""


def validate_jwks(document: str) -> KeySet:
    """A JWKS document (RFC 7517 §5) an app may register: JSON ``{"keys": [...]}`` of 1 to
    :data:`MAX_KEYS` public keys of type RSA, EC or OKP, each with a ``kid`` unique in the
    set. Private key material (or a symmetric ``oct`` key) is refused, never echoed."""
    try:
        parsed = json.loads(document)
    except ValueError:
        raise InvalidJwks("is not JSON") from None
    keys = parsed.get("keys") if isinstance(parsed, dict) else None
    if not isinstance(keys, list) or not 0 < len(keys) <= MAX_KEYS:
        raise InvalidJwks(f'must be {{"keys": [...]}} with 1 to {MAX_KEYS} keys')
    kids: set[str] = set()
    for key in keys:
        _validate_key(key, kids)
    try:
        return KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError) as error:
        raise InvalidJwks(f"holds a key that cannot be read ({type(error).__name__})") from None


def _validate_key(key: Any, kids: set[str]) -> None:
    if not isinstance(key, dict):
        raise InvalidJwks("must hold JSON objects")
    if PRIVATE_MEMBERS.intersection(key):
        raise InvalidJwks("must hold public keys only (it holds private key material)")
    if key.get("kty") not in ("RSA", "EC", "OKP"):
        raise InvalidJwks("keys must have kty RSA, EC or OKP")
    kid = key.get("kid")
    if not isinstance(kid, str) or not kid or kid in kids:
        raise InvalidJwks("every key needs a kid, unique in the set")
    if key.get("use", "sig") != "sig":
        raise InvalidJwks('keys must be signing keys (use "sig")')
    kids.add(kid)
