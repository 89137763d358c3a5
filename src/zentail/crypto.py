"""Generation, digesting and sealing of credentials.

Codes, tokens and client secrets are generated with 256 bits of randomness (RFC 6749 §10.10,
RFC 6819 §5.1.4.2.2). They are stored only as keyed digests, HMAC-SHA256 under the server's
``ZENTAIL_SECRET_KEY`` (RFC 6819 §5.1.4.1.3): a high-entropy value needs no slow password hash,
and a leaked digest cannot be presented as the credential. Client secrets are additionally
sealed (encrypted) so that the platform can sign install callbacks with them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

TOKEN_BYTES = 32
ACCESS_TOKEN_PREFIX = "ztk_"  # noqa: S105 - a prefix, not a secret
AUTHORIZATION_CODE_PREFIX = "ztc_"
REFRESH_TOKEN_PREFIX = "ztr_"  # noqa: S105 - a prefix, not a secret


def new_access_token() -> str:
    """A bearer token: a scan-friendly prefix and 256 random bits, base64url."""
    return ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def new_refresh_token() -> str:
    """A refresh token (RFC 6749 §1.5): its own prefix, so that it is told from an access
    token at a glance and redacted like one, and 256 random bits."""
    return REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def new_authorization_code() -> str:
    """A one-time authorization code with 256 random bits (RFC 6749 §10.10)."""
    return AUTHORIZATION_CODE_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def new_client_id() -> str:
    """A client identifier: 20 hex characters, as in Zentail's documented example."""
    return secrets.token_hex(10)


def new_client_secret() -> str:
    """A client secret: 64 hex characters (256 bits).

    Hex needs no escaping under RFC 6749 §2.3.1's form-encoding, so a partner that forgets
    to form-encode the Basic credentials still authenticates.
    """
    return secrets.token_hex(TOKEN_BYTES)


class Keyring:
    """Keys derived from ``ZENTAIL_SECRET_KEY``: one for digests, one for sealing secrets."""

    def __init__(self, secret_key: str) -> None:
        root = secret_key.encode()
        self._digest_key = hmac.new(root, b"zentail/digest", hashlib.sha256).digest()
        sealing_key = hmac.new(root, b"zentail/seal", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(sealing_key))

    @property
    def digest_key(self) -> bytes:
        """The key of :meth:`digest` (for a benchmark's reference lookup, never logged)."""
        return self._digest_key

    def digest(self, value: str) -> str:
        """The keyed digest under which a code, token or secret is stored and looked up."""
        return hmac.new(self._digest_key, value.encode(), hashlib.sha256).hexdigest()

    def seal(self, value: str) -> bytes:
        """Encrypt ``value`` (authenticated encryption, Fernet)."""
        return self._fernet.encrypt(value.encode())

    def unseal(self, sealed: bytes) -> str | None:
        """Decrypt what :meth:`seal` produced; ``None`` if the key changed or data is corrupt."""
        try:
            return self._fernet.decrypt(sealed).decode()
        except InvalidToken:
            return None


def digests_equal(left: str, right: str) -> bool:
    """Constant-time comparison of two digests (RFC 6819 §5.1.4.2.4 against timing attacks)."""
    return hmac.compare_digest(left.encode(), right.encode())
