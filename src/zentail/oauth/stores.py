"""What the protocol code needs from storage, as ``typing.Protocol``s.

The SQL implementation lives in :mod:`zentail.domain.authorization`; the protocol code never
sees the ORM.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Client:
    """A registered confidential client (RFC 6749 §2.1), as the protocol sees it."""

    app_id: int
    client_id: str
    redirect_uri: str
    active: bool
    secret_digests: tuple[str, ...]


@dataclass(frozen=True)
class CodeGrant:
    """What an authorization code was bound to when it was issued (RFC 6749 §4.1.2)."""

    code_id: int
    app_id: int
    account_id: int
    installation_id: int
    redirect_uri: str
    scopes: str
    expires_at: dt.datetime
    installed: bool


@dataclass(frozen=True)
class Redemption:
    """The outcome of an atomic consume: ``grant`` is ``None`` for an unknown code (or one
    issued to another client); ``first_use`` is False when the code was already consumed."""

    grant: CodeGrant | None
    first_use: bool


@dataclass(frozen=True)
class TokenRecord:
    """An access token as revocation (RFC 7009) and introspection (RFC 7662) see it.

    ``active`` is the API's own verdict: not revoked, not expired, and its app not suspended.
    """

    token_id: int
    app_id: int | None
    account_id: int
    scopes: str
    issued_at: dt.datetime
    revoked: bool
    active: bool


class ClientStore(Protocol):
    def find_client(self, client_id: str) -> Client | None: ...

    def record_auth_failure(self, client_id: str, reason: str) -> None: ...

    def record_throttled(self, client_id: str, bucket: str) -> None:
        """Audit that a client authentication was refused by the brute-force throttle."""
        ...


class AuthorizationCodeStore(Protocol):
    def consume_code(self, digest: str, app_id: int, now: dt.datetime) -> Redemption:
        """Mark the code consumed if it is not yet, atomically (one winner under races)."""
        ...

    def revoke_tokens_issued_from(self, grant: CodeGrant) -> int:
        """Replay response (RFC 6749 §4.1.2): revoke what the code produced; return the count."""
        ...

    def issue_token(self, grant: CodeGrant, token_digest: str) -> int:
        """Store a new install token for the grant's installation, revoking its previous one."""
        ...


class TokenStore(Protocol):
    def find_token(self, digest: str, now: dt.datetime) -> TokenRecord | None: ...

    def revoke_token(self, token: TokenRecord, reason: str) -> None:
        """Revoke the token at once (idempotent) and audit it."""
        ...
