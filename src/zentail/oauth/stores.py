"""What the protocol code needs from storage, as ``typing.Protocol``s.

The SQL implementation lives in :mod:`zentail.domain.authorization`; the protocol code never
sees the ORM.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from joserfc.jwk import KeySet


@dataclass(frozen=True)
class Client:
    """A registered confidential client (RFC 6749 §2.1), as the protocol sees it."""

    app_id: int
    client_id: str
    redirect_uri: str
    active: bool
    secret_digests: tuple[str, ...]
    # Secrets that were valid once and are now past their grace: never accepted, only
    # recognised, so a failure can be diagnosed as ``secret_expired``.
    expired_secret_digests: tuple[str, ...] = ()
    # Seconds an access token lives when the app opted in to expiring tokens and refresh
    # (docs/decisions/0065); ``None``: the documented long-lived token, no refresh token.
    token_lifetime_seconds: int | None = None
    # private_key_jwt (RFC 7523 §2.2): the registered public keys (a JWKS document, or where
    # to fetch one), and whether its secrets still authenticate it.
    jwks: str | None = None
    jwks_uri: str | None = None
    secrets_accepted: bool = True


@dataclass(frozen=True)
class CodeGrant:
    """What an authorization code was bound to when it was issued (RFC 6749 §4.1.2).

    ``code_challenge`` is the S256 challenge of a partner-initiated request (RFC 7636 §4.4);
    ``None`` for a code minted by the Install button."""

    code_id: int
    app_id: int
    account_id: int
    installation_id: int
    redirect_uri: str
    scopes: str
    expires_at: dt.datetime
    installed: bool
    code_challenge: str | None = None
    issued_at: dt.datetime | None = None
    consumed_at: dt.datetime | None = None  # set when the code was redeemed before


@dataclass(frozen=True)
class TokenRecord:
    """An access or refresh token as revocation (RFC 7009) and introspection (RFC 7662) see
    it.

    ``active`` is the API's own verdict: not revoked, not expired, and its app not suspended
    (a refresh token: and still redeemable, docs/decisions/0065).
    """

    token_id: int
    app_id: int | None
    account_id: int
    scopes: str
    issued_at: dt.datetime
    revoked: bool
    active: bool
    token_type: str = "access_token"  # noqa: S105 - or "refresh_token" (RFC 7009 §2.1)
    expires_at: dt.datetime | None = None


class ClientStore(Protocol):
    """Clients for code in a worker thread; it also serves as the
    :class:`zentail.oauth.client_assertion.AssertionContext` (keys, used ``jti`` values)."""

    def find_client(self, client_id: str) -> Client | None: ...

    def record_auth_failure(self, client_id: str, reason: str) -> None: ...

    def record_throttled(self, client_id: str, bucket: str) -> None:
        """Audit that a client authentication was refused by the brute-force throttle."""
        ...

    @property
    def issuer(self) -> str: ...

    def assertion_keys(self, client: Client) -> KeySet | None: ...

    def first_use(self, client_id: str, jti: str, until: dt.datetime) -> bool: ...


class TokenStore(Protocol):
    def find_token(self, digest: str, now: dt.datetime) -> TokenRecord | None: ...

    def revoke_token(self, token: TokenRecord, reason: str) -> None:
        """Revoke the token at once (idempotent) and audit it."""
        ...


@dataclass(frozen=True)
class NewRefreshToken:
    """A refresh token to store beside a new access token (RFC 6749 §6): its digest, the
    family it belongs to (one per code exchange) and its expiry."""

    digest: str
    family: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class CodeRedemption:
    """One attempt to redeem a code at the token endpoint (RFC 6749 §4.1.3), with the
    ``code_verifier`` it presented, if any (RFC 7636 §4.5). For an app that opted in to
    expiring tokens, ``token_expires_at`` and ``refresh`` are set (docs/decisions/0065)."""

    code_digest: str
    app_id: int
    redirect_uri: str
    token_digest: str
    now: dt.datetime
    code_verifier: str | None = None
    token_expires_at: dt.datetime | None = None
    refresh: NewRefreshToken | None = None


REDEEMED = "redeemed"
UNKNOWN = "unknown"
REPLAYED = "replayed"
EXPIRED = "expired"
UNINSTALLED = "uninstalled"
REDIRECT_MISMATCH = "redirect_mismatch"
VERIFIER_MISMATCH = "verifier_mismatch"


@dataclass(frozen=True)
class RedemptionResult:
    """What :meth:`AsyncGrantStore.redeem` did. ``outcome`` is one of the constants above;
    ``grant`` is set unless the code is unknown; ``token_id`` only when ``redeemed``."""

    outcome: str
    grant: CodeGrant | None = None
    token_id: int | None = None
    replaced: tuple[str, ...] = ()  # digests of the tokens a redemption replaced


@dataclass(frozen=True)
class RefreshState:
    """A presented refresh token as the refresh grant judges it, read under a row lock.

    ``successor_used``: the token was redeemed and its live successor (the refresh token or
    the access token issued for it) has been used since, which ends its grace."""

    token_id: int
    app_id: int
    account_id: int
    installation_id: int
    family: str
    scopes: str
    expires_at: dt.datetime
    rotated_at: dt.datetime | None
    revoked: bool
    installed: bool
    successor_used: bool


@dataclass(frozen=True)
class RefreshAttempt:
    """One ``grant_type=refresh_token`` request (RFC 6749 §6), with the new pair to issue:
    ``scopes`` is the narrower scope asked for (``None``: the grant's own). ``refresh`` is
    ``None`` when the app no longer opts in to expiring tokens (the family ends with a
    long-lived access token); its ``family`` is the presented token's, whatever it says."""

    refresh_digest: str
    app_id: int
    token_digest: str
    refresh: NewRefreshToken | None
    token_expires_at: dt.datetime | None
    now: dt.datetime
    scopes: frozenset[str] | None = None


@dataclass(frozen=True)
class RefreshResult:
    """What :meth:`AsyncGrantStore.refresh` did: ``outcome`` is one of the verdicts of
    :mod:`zentail.oauth.grants.refresh_token`; ``revoked`` counts the tokens a reuse revoked."""

    outcome: str
    state: RefreshState | None = None
    token_id: int | None = None
    scopes: str | None = None
    revoked: int = 0


@dataclass(frozen=True)
class TokenFailure:
    """A refused token request that named an existing client (see
    :mod:`zentail.oauth.diagnostics`). Never holds a code, secret or token."""

    error: str
    reason: str
    detail: dict[str, str | int | bool | None]
    at: dt.datetime
    source_ip: str | None = None


class AsyncGrantStore(Protocol):
    """The token endpoint's storage, for code on the event loop."""

    async def find_client(self, client_id: str) -> Client | None: ...

    async def record_auth_failure(self, client_id: str, reason: str) -> None: ...

    async def record_throttled(self, client_id: str, bucket: str) -> None: ...

    @property
    def issuer(self) -> str: ...

    async def assertion_keys(self, client: Client) -> KeySet | None: ...

    async def first_use(self, client_id: str, jti: str, until: dt.datetime) -> bool: ...

    async def redeem(self, attempt: CodeRedemption) -> RedemptionResult:
        """In one atomic unit: mark the code consumed if it is not yet (exactly one winner
        among concurrent attempts); then, only if this attempt consumed it, the code is
        unexpired at ``now``, its installation is live, its redirect URI equals
        ``redirect_uri`` exactly and ``code_verifier`` passes
        :func:`zentail.oauth.pkce.verifies` against its challenge, store the token
        ``token_digest`` for the installation, revoking the installation's previous token (one
        live token per installation), and audit it. A code issued to another client is
        ``unknown``. A code refused by any check stays consumed (docs/decisions/0063)."""
        ...

    async def refresh(
        self, attempt: RefreshAttempt, judge: Callable[[RefreshState], str]
    ) -> RefreshResult:
        """In one atomic unit, with the presented refresh token locked: read its
        :class:`RefreshState` (``unknown`` if no such token, ``other_client`` if it is
        another app's), ask ``judge`` for the verdict, then act on it: ``rotate`` and
        ``grace`` mark the token redeemed, revoke its earlier successors and the
        installation's live access token, store the new pair and audit it; ``reused`` and
        ``revoked`` revoke the whole family (every access and refresh token descended from
        the code exchange) and audit the reuse (RFC 9700 §4.14.2). Any other verdict changes
        nothing. Concurrent attempts with one token are serialised."""
        ...

    async def revoke_tokens_issued_from(self, grant: CodeGrant) -> int:
        """Replay response (RFC 6749 §4.1.2): revoke what the code produced; return the count."""
        ...

    async def code_issued_to_another_client(self, code_digest: str, app_id: int) -> bool:
        """Whether a code with ``code_digest`` exists for an app other than ``app_id``."""
        ...

    async def record_token_failure(self, client_id: str, failure: TokenFailure) -> None:
        """Keep ``failure`` for the owner of ``client_id`` when that client exists (the same
        statement either way); bounded per client and in time; never raises."""
        ...
