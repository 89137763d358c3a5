"""``private_key_jwt`` client authentication (RFC 7523 §2.2): the app proves who it is with a
short-lived JWT signed by its private key instead of sending its client secret.

Needs the ``jwt`` extra (``pip install "zentail-partner[jwt]"``, which brings joserfc); the
base SDK stays httpx-only, so joserfc is imported only when a signer is made.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LIFETIME_SECONDS = 60  # the platform accepts at most 5 minutes
_ALGORITHMS = {("RSA", None): "RS256", ("EC", "P-256"): "ES256", ("OKP", "Ed25519"): "EdDSA"}


def _joserfc() -> Any:
    try:
        from joserfc import jwk, jwt
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            'signing client assertions needs the jwt extra: pip install "zentail-partner[jwt]"'
        ) from None
    return jwk, jwt


class PrivateKeySigner:
    """Signs client assertions for one app with its private key (PEM, a JWK as JSON text, or
    a JWK ``dict``). The algorithm follows from the key: RSA → RS256, EC P-256 → ES256,
    Ed25519 → EdDSA. ``token_endpoint`` is the platform's token endpoint URL (its metadata's
    ``token_endpoint``), the assertion's audience. ``kid`` names the registered public key
    (taken from a JWK when it has one)."""

    def __init__(
        self,
        private_key: str | bytes | Mapping[str, Any],
        *,
        token_endpoint: str,
        kid: str | None = None,
    ) -> None:
        jwk, _ = _joserfc()
        key = jwk.import_key(_key_material(private_key))
        if not key.is_private:
            raise ValueError("a client assertion is signed with the private key")
        self._key = key
        self.token_endpoint = token_endpoint
        self.kid = kid or key.kid
        curve = key.as_dict(private=False).get("crv")
        algorithm = _ALGORITHMS.get((key.key_type, curve if key.key_type != "RSA" else None))
        if algorithm is None:
            raise ValueError("the key must be RSA, EC P-256 or Ed25519")
        self.algorithm: str = algorithm

    def __repr__(self) -> str:
        return f"PrivateKeySigner(kid={self.kid!r}, algorithm={self.algorithm!r})"

    def assertion(self, client_id: str) -> str:
        """A fresh assertion for ``client_id`` (RFC 7523 §3): ``iss`` = ``sub`` = the client
        ID, ``aud`` = the token endpoint, a one-minute ``exp`` and a random ``jti``, since
        the platform accepts each assertion once."""
        _, jwt = _joserfc()
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": self.token_endpoint,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
            "jti": uuid.uuid4().hex,
        }
        header = {"alg": self.algorithm, **({"kid": self.kid} if self.kid else {})}
        token: str = jwt.encode(header, claims, self._key, algorithms=[self.algorithm])
        return token

    def form(self, client_id: str) -> dict[str, str]:
        """The two form parameters that authenticate the client (RFC 7521 §4.2)."""
        return {
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(client_id),
        }


def _key_material(private_key: str | bytes | Mapping[str, Any]) -> Any:
    if isinstance(private_key, Mapping):
        return dict(private_key)
    text = private_key.decode() if isinstance(private_key, bytes) else private_key
    return json.loads(text) if text.lstrip().startswith("{") else text.encode()
