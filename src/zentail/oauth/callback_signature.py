"""Signature on the Install callback (``<redirect URI>?client_id=…&code=…&timestamp=…&hmac=…``).

The documented flow has no ``state`` parameter, so a partner cannot tell a genuine callback
from one forged by an attacker (login CSRF, code injection; RFC 9700 §4.5). Like Shopify's
install callback, the platform adds ``timestamp`` (Unix seconds) and ``hmac``:

    message = "&".join(f"{key}={value}" for key, value in sorted(params.items()) if key != "hmac")
    hmac    = hex(HMAC-SHA256(key=client_secret, message))

``params`` are the decoded query parameters. The partner SDK verifies with its own copy
(``zentail_partner._callback_signature``); ``tests/partner/test_callback.py`` proves they agree.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping

SIGNATURE_PARAM = "hmac"
TIMESTAMP_PARAM = "timestamp"
# Unix seconds as the platform writes them: ASCII digits, few enough to compare with a float.
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def signing_message(params: Mapping[str, str]) -> bytes:
    """The canonical byte string that is signed: sorted ``key=value`` pairs joined by ``&``."""
    pairs = (f"{key}={value}" for key, value in sorted(params.items()) if key != SIGNATURE_PARAM)
    return "&".join(pairs).encode()


def sign(params: Mapping[str, str], client_secret: str) -> str:
    """Return the lowercase hex HMAC-SHA256 of ``params`` keyed with ``client_secret``."""
    return hmac.new(client_secret.encode(), signing_message(params), hashlib.sha256).hexdigest()


def is_valid(
    params: Mapping[str, str], client_secrets: Iterable[str], *, now: float, max_age: float
) -> bool:
    """True when ``params`` carry a fresh signature made with one of ``client_secrets``.

    Several secrets may be given: during a secret rotation the platform signs with the oldest
    secret that is still valid, so a partner that has already deployed the new one keeps
    the old one in the list until the grace period ends.
    """
    signature = params.get(SIGNATURE_PARAM, "").encode()
    timestamp = params.get(TIMESTAMP_PARAM, "")
    if not signature or not _UNIX_SECONDS.fullmatch(timestamp):
        return False
    if abs(now - int(timestamp)) > max_age:
        return False
    return any(
        hmac.compare_digest(sign(params, secret).encode(), signature) for secret in client_secrets
    )
