"""Access tokens at rest: one row per partner user, the token encrypted (Fernet, AES-128-CBC +
HMAC-SHA256) under a key derived from ``PARTNER_SECRET_KEY``.

The documented flow tells the partner nothing about *which* Zentail account installed it
beyond the token itself, and links the install to the partner user who logs in during the
callback. So a row is "this partner user's Zentail account". A new install by the same user
replaces the token (the platform keeps one active token per installation).
"""

from __future__ import annotations

import base64
import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SCHEMA = """
CREATE TABLE IF NOT EXISTS zentail_connections (
    partner_user TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    sealed_token BLOB NOT NULL,
    connected_at TEXT NOT NULL
)
"""


def derive_key(secret_key: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose (HKDF-SHA256, RFC 5869), so that the session cookie and
    the token encryption never share a key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret_key.encode())


class TokenStore:
    def __init__(self, path: Path, secret_key: str) -> None:
        self.path = path
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "token-at-rest")))
        with closing(self._connect()) as connection, connection:
            connection.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path)

    def save(self, partner_user: str, client_id: str, access_token: str) -> None:
        sealed = self._fernet.encrypt(access_token.encode())
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with closing(self._connect()) as connection, connection:
            connection.execute(
                "INSERT INTO zentail_connections VALUES (?, ?, ?, ?) ON CONFLICT (partner_user) "
                "DO UPDATE SET client_id = excluded.client_id, "
                "sealed_token = excluded.sealed_token, connected_at = excluded.connected_at",
                (partner_user, client_id, sealed, now),
            )

    def token_for(self, partner_user: str) -> str | None:
        """The user's token, or ``None`` if not connected (or sealed under another key)."""
        with closing(self._connect()) as connection:
            row = connection.execute(
                "SELECT sealed_token FROM zentail_connections WHERE partner_user = ?",
                (partner_user,),
            ).fetchone()
        if row is None:
            return None
        try:
            return self._fernet.decrypt(row[0]).decode()
        except InvalidToken:
            return None

    def forget(self, partner_user: str) -> None:
        with closing(self._connect()) as connection, connection:
            connection.execute(
                "DELETE FROM zentail_connections WHERE partner_user = ?", (partner_user,)
            )
