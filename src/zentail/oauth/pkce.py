"""Proof Key for Code Exchange (RFC 7636), ``S256`` only.

A partner-initiated authorization request must carry a ``code_challenge`` with
``code_challenge_method=S256`` (RFC 9700 §2.1.1: ``plain`` is refused); the code remembers it,
and the token request must then prove possession of the ``code_verifier`` it came from. A code
minted without a challenge (the platform's Install button) must be redeemed without a
verifier: one sent anyway is refused, so that a client cannot be led to believe it is
protected by PKCE when it is not (the downgrade RFC 9700 §2.1.1 warns of).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

METHOD = "S256"
# RFC 7636 §4.1: code-verifier = 43*128unreserved (ALPHA / DIGIT / "-" / "." / "_" / "~")
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# RFC 7636 §4.2: an S256 challenge is BASE64URL(SHA256(verifier)) without padding: 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def is_verifier(value: str) -> bool:
    """Whether ``value`` is a well-formed ``code_verifier`` (RFC 7636 §4.1)."""
    return _VERIFIER.fullmatch(value) is not None


def is_s256_challenge(value: str) -> bool:
    """Whether ``value`` can be an ``S256`` ``code_challenge`` (RFC 7636 §4.2)."""
    return _S256_CHALLENGE.fullmatch(value) is not None


def s256(verifier: str) -> str:
    """``BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifies(verifier: str | None, challenge: str | None) -> bool:
    """The token endpoint's check (RFC 7636 §4.6), with downgrade protection.

    No challenge: true only without a verifier. A challenge: true only for a well-formed
    verifier whose ``S256`` equals it, compared in constant time.
    """
    if challenge is None:
        return verifier is None
    if verifier is None or not is_verifier(verifier):
        return False
    return hmac.compare_digest(s256(verifier).encode("ascii"), challenge.encode("ascii"))
