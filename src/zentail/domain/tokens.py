"""Access tokens: the API's credential check (the hot path) and ad-hoc account tokens.

A token is stored only as its keyed digest. Checking one is a single indexed lookup that
also reads the app's status, so revocation, uninstall and suspension take effect on the
very next request, on every worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from zentail import crypto, generations
from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.errors import InvalidInput, NotFound
from zentail.domain.scopes import ALL_SCOPES, join_scopes, parse_scopes
from zentail.storage.gateway import Statement, timestamp
from zentail.storage.models import AccessToken, App, utcnow
from zentail.storage.tenancy import AccountScope

MAX_LABEL_LENGTH = 200


@dataclass(frozen=True)
class Principal:
    """Who is calling the API: one account, with the token's scopes."""

    token_id: int
    account_id: int
    scopes: frozenset[str]
    app_id: int | None
    kind: str
    expires_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def use_is_stale(self, now: dt.datetime, resolution: int) -> bool:
        """Whether this use should be recorded (at most once per ``resolution`` seconds)."""
        last = self.last_used_at
        return last is None or (now - last).total_seconds() >= resolution


# Built once: the hot path neither rebuilds nor re-keys this statement on every request.
TOKEN_BY_DIGEST = Statement.build(
    select(
        AccessToken.id,
        AccessToken.account_id,
        AccessToken.scopes,
        AccessToken.app_id,
        AccessToken.kind,
        AccessToken.expires_at,
        AccessToken.last_used_at,
        App.status,
    )
    .outerjoin(App, App.id == AccessToken.app_id)
    .where(AccessToken.digest == bindparam("digest"), AccessToken.revoked_at.is_(None))
)
TOUCH = Statement.build(
    update(AccessToken)
    .where(AccessToken.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


def principal_from_row(row: tuple[Any, ...] | None, now: dt.datetime) -> Principal | None:
    """The :class:`Principal` of a :data:`TOKEN_BY_DIGEST` row, or ``None``.

    ``None`` covers unknown, revoked, expired and suspended-app tokens alike (RFC 6750 §3.1
    ``invalid_token``).
    """
    if row is None:
        return None
    token_id, account_id, scopes, app_id, kind, expires_at, last_used_at, app_status = row
    if app_id is not None and app_status != "active":
        return None
    principal = Principal(
        token_id,
        account_id,
        frozenset(scopes.split()),
        app_id,
        kind,
        timestamp(expires_at),
        timestamp(last_used_at),
    )
    return None if principal.expired(now) else principal


def create_account_token(
    scope: AccountScope,
    keyring: crypto.Keyring,
    *,
    label: str,
    actor: Actor,
    scopes: str | list[str] | None = None,
) -> tuple[AccessToken, str]:
    """Generate an ad-hoc API token for the account; the raw token is returned once."""
    label = label.strip()
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise InvalidInput("label", f"must be 1 to {MAX_LABEL_LENGTH} characters")
    granted = parse_scopes(scopes) if scopes else sorted(ALL_SCOPES)
    raw = crypto.new_access_token()
    token = scope.add(
        AccessToken(
            digest=keyring.digest(raw),
            kind="account",
            label=label,
            scopes=join_scopes(granted),
            created_by_user_id=actor.user_id,
        )
    )
    scope.session.flush()
    audit.record(
        scope.session,
        "token.issued",
        actor,
        account_id=scope.account_id,
        token_id=token.id,
        kind="account",
    )
    return token, raw


def list_account_tokens(scope: AccountScope) -> list[AccessToken]:
    """The account's ad-hoc tokens that are not revoked, newest first."""
    statement = (
        scope.select(AccessToken)
        .where(AccessToken.kind == "account", AccessToken.revoked_at.is_(None))
        .order_by(AccessToken.id.desc())
    )
    return list(scope.session.scalars(statement))


def revoke_account_token(scope: AccountScope, token_id: int, *, actor: Actor) -> AccessToken:
    token = scope.get(AccessToken, id=token_id, kind="account")
    if token is None or token.revoked_at is not None:
        raise NotFound(f"no active token {token_id}")
    revoke(scope.session, token, actor=actor)
    return token


def revoke(session: Session, token: AccessToken, *, actor: Actor, reason: str = "revoked") -> None:
    """Revoke one token (idempotent) and record it."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    generations.after_commit(session, generations.token_counter(token.digest))
    audit.record(
        session,
        "token.revoked",
        actor,
        account_id=token.account_id,
        app_id=token.app_id,
        token_id=token.id,
        reason=reason,
    )


def last_used(tokens: list[AccessToken]) -> dt.datetime | None:
    """The most recent use among ``tokens``, for the installed-apps page."""
    return max((t.last_used_at for t in tokens if t.last_used_at), default=None)
