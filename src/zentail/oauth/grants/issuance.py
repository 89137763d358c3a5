"""What every grant issues: an access token and, for an app that opted in to expiring
tokens, its lifetime and a rotating refresh token (RFC 6749 §5.1, §6; docs/decisions/0065).

An app without a lifetime keeps the documented answer, exactly
``{"access_token", "token_type": "bearer"}``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from zentail.crypto import Keyring, new_access_token, new_refresh_token
from zentail.oauth.stores import Client, NewRefreshToken

# A refresh token not redeemed for this long expires (RFC 9700 §4.14.2: refresh tokens
# should expire after a period of inactivity); each rotation starts a new period.
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=90)


@dataclass(frozen=True)
class NewTokens:
    """Raw values to hand out once, and what to store of them (digests, expiries)."""

    access_token: str
    access_digest: str
    expires_in: int | None = None
    access_expires_at: dt.datetime | None = None
    refresh_token: str | None = None
    refresh: NewRefreshToken | None = None


def new_tokens(
    client: Client, keyring: Keyring, now: dt.datetime, family: str | None = None
) -> NewTokens:
    """A fresh access token for ``client``; with its app's lifetime set, also its expiry and
    a refresh token in ``family`` (a new family when ``None``: a code exchange)."""
    access = new_access_token()
    lifetime = client.token_lifetime_seconds
    if lifetime is None:
        return NewTokens(access, keyring.digest(access))
    refresh = new_refresh_token()
    stored = NewRefreshToken(
        keyring.digest(refresh), family or secrets.token_hex(16), now + REFRESH_TOKEN_LIFETIME
    )
    expires_at = now + dt.timedelta(seconds=lifetime)
    return NewTokens(access, keyring.digest(access), lifetime, expires_at, refresh, stored)


def response_body(tokens: NewTokens) -> dict[str, Any]:
    """The successful token response (RFC 6749 §5.1): ``expires_in`` and ``refresh_token``
    only when the app opted in, so the documented answer is unchanged byte for byte."""
    body: dict[str, Any] = {"access_token": tokens.access_token, "token_type": "bearer"}
    if tokens.expires_in is not None:
        body["expires_in"] = tokens.expires_in
    if tokens.refresh_token is not None:
        body["refresh_token"] = tokens.refresh_token
    return body
