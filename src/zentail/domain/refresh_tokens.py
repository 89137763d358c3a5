"""Refresh tokens in storage: the refresh grant's atomic unit of work, family revocation,
and what revocation (RFC 7009) and introspection (RFC 7662) read (docs/decisions/0065).

A refresh token is a row of ``refresh_tokens`` holding its keyed digest; ``family`` ties
together every token descended from one code exchange. The unit of work locks the presented
token's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite write units are serialised), so
concurrent refreshes with one token are judged one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from zentail import generations
from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.scopes import join_scopes
from zentail.oauth.grants import refresh_token as grant
from zentail.oauth.stores import RefreshAttempt, RefreshResult, RefreshState, TokenRecord
from zentail.storage.models import AccessToken, App, Installation, RefreshToken, utcnow


def state_of(session: Session, token: RefreshToken, installed: bool) -> RefreshState:
    """The :class:`RefreshState` of ``token`` (read its successor only if it was redeemed)."""
    used = token.rotated_at is not None and _successor_used(session, token)
    return RefreshState(
        token.id,
        token.app_id,
        token.account_id,
        token.installation_id,
        token.family,
        token.scopes,
        token.expires_at,
        token.rotated_at,
        token.revoked_at is not None,
        installed,
        used,
    )


def _successor_used(session: Session, token: RefreshToken) -> bool:
    """Whether the live successor of a redeemed token (the refresh token issued for it, or
    that one's access token) has been used; no live successor counts as used."""
    row = session.execute(
        select(RefreshToken.rotated_at, RefreshToken.access_token_id, AccessToken.last_used_at)
        .outerjoin(AccessToken, AccessToken.id == RefreshToken.access_token_id)
        .where(RefreshToken.parent_id == token.id, RefreshToken.revoked_at.is_(None))
        .order_by(RefreshToken.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return True
    rotated_at, access_token_id, last_used_at = row
    return rotated_at is not None or access_token_id is None or last_used_at is not None


def redeem(
    session: Session, attempt: RefreshAttempt, judge: Callable[[RefreshState], str], actor: Actor
) -> RefreshResult:
    """The contract is :meth:`zentail.oauth.stores.AsyncGrantStore.refresh`."""
    row = session.execute(
        _by_digest(attempt.refresh_digest).with_for_update(of=RefreshToken)
    ).one_or_none()
    if row is None:
        return RefreshResult(grant.UNKNOWN)
    token, _, uninstalled_at = row
    if token.app_id != attempt.app_id:
        return RefreshResult(grant.OTHER_CLIENT)
    state = state_of(session, token, installed=uninstalled_at is None)
    outcome = judge(state)
    if outcome in grant.FAMILY_ENDING:
        revoked = end_family(
            session, token, attempt.now, "refresh_token.reuse_detected", actor, verdict=outcome
        )
        return RefreshResult(outcome, state, revoked=len(revoked))
    if outcome not in grant.ISSUING:
        return RefreshResult(outcome, state)
    return _issue(session, token, state, attempt, actor, outcome)


def _issue(
    session: Session,
    presented: RefreshToken,
    state: RefreshState,
    attempt: RefreshAttempt,
    actor: Actor,
    outcome: str,
) -> RefreshResult:
    """Rotate ``presented``: end its earlier successors (``grace``) and the installation's
    live access token, store the new pair, audit it."""
    now = attempt.now
    presented.rotated_at = presented.rotated_at or now
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.parent_id == presented.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    installation = AccessToken.installation_id == presented.installation_id
    replaced = _revoke_access(session, installation, now)
    scopes = join_scopes(sorted(attempt.scopes)) if attempt.scopes else presented.scopes
    access = AccessToken(
        digest=attempt.token_digest,
        kind="install",
        account_id=presented.account_id,
        app_id=presented.app_id,
        installation_id=presented.installation_id,
        scopes=scopes,
        created_at=now,
        expires_at=attempt.token_expires_at,
    )
    session.add(access)
    session.flush()
    refresh_id = None
    if attempt.refresh is not None:
        successor = RefreshToken(
            digest=attempt.refresh.digest,
            account_id=presented.account_id,
            app_id=presented.app_id,
            installation_id=presented.installation_id,
            family=presented.family,
            parent_id=presented.id,
            access_token_id=access.id,
            scopes=presented.scopes,
            created_at=now,
            expires_at=attempt.refresh.expires_at,
        )
        session.add(successor)
        session.flush()
        refresh_id = successor.id
    audit.record(
        session,
        "token.refreshed",
        actor,
        account_id=presented.account_id,
        app_id=presented.app_id,
        token_id=access.id,
        refresh_token_id=refresh_id,
        presented_refresh_token_id=presented.id,
        grace=outcome == grant.GRACE,
        replaced_token_ids=[token_id for token_id, _ in replaced],
    )
    return RefreshResult(outcome, state, access.id, scopes)


def _revoke_access(session: Session, where: object, now: dt.datetime) -> list[tuple[int, str]]:
    """Revoke the live access tokens matching ``where``; their counters move after commit
    (refused on the very next request on every node). Returns (id, digest) pairs."""
    rows = session.execute(
        update(AccessToken)
        .where(where, AccessToken.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=now)
        .returning(AccessToken.id, AccessToken.digest)
    ).all()
    if rows:
        generations.after_commit(session, *(generations.token_counter(d) for _, d in rows))
    return [(token_id, digest) for token_id, digest in rows]


def revoke_family(session: Session, family: str, now: dt.datetime) -> list[int]:
    """Revoke every refresh token of ``family`` and every access token descended from its
    code exchange (RFC 9700 §4.14.2; RFC 7009 §2.1); return the revoked access tokens' ids.
    The caller audits, saying why.

    A family with a live refresh token is its installation's current grant (a new exchange
    revokes the previous family whole), so the installation's live access token descends
    from it even when no refresh token was issued beside it (a refresh after the app
    opted out); a family already dead leaves a newer exchange's tokens alone."""
    live = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(RefreshToken.installation_id)
    ).all()
    issued = select(RefreshToken.access_token_id).where(RefreshToken.family == family)
    descended: ColumnElement[bool] = AccessToken.id.in_(issued)
    if live:
        descended = or_(descended, AccessToken.installation_id == live[0][0])
    revoked = _revoke_access(session, descended, now)
    return sorted(token_id for token_id, _ in revoked)


def _by_digest(digest: str) -> Select[RefreshToken, str, dt.datetime | None]:
    """The refresh token with ``digest``, its app's status and its uninstall instant."""
    return (
        select(RefreshToken, App.status, Installation.uninstalled_at)
        .join(App, App.id == RefreshToken.app_id)
        .join(Installation, Installation.id == RefreshToken.installation_id)
        .where(RefreshToken.digest == digest)
    )


def end_family(
    session: Session, token: RefreshToken, now: dt.datetime, event: str, actor: Actor, **why: Any
) -> list[int]:
    """Revoke ``token``'s family (:func:`revoke_family`) and audit ``event`` with the
    revoked access tokens' ids and ``why``."""
    revoked = revoke_family(session, token.family, now)
    audit.record(
        session,
        event,
        actor,
        account_id=token.account_id,
        app_id=token.app_id,
        refresh_token_id=token.id,
        revoked_token_ids=revoked,
        **why,
    )
    return revoked


def record(session: Session, digest: str, now: dt.datetime) -> TokenRecord | None:
    """A refresh token as revocation and introspection see it: active while its app is
    active and it could still be redeemed (not revoked, expired, uninstalled or dead)."""
    row = session.execute(_by_digest(digest)).one_or_none()
    if row is None:
        return None
    token, status, uninstalled_at = row
    state = state_of(session, token, installed=uninstalled_at is None)
    redeemable = grant.verdict(state, now) in grant.REDEEMABLE
    return TokenRecord(
        token_id=token.id,
        app_id=token.app_id,
        account_id=token.account_id,
        scopes=token.scopes,
        issued_at=token.created_at,
        revoked=token.revoked_at is not None,
        active=redeemable and status == "active",
        token_type=grant.GRANT_TYPE,
        expires_at=token.expires_at,
    )


def revoke(session: Session, token: TokenRecord, *, actor: Actor, reason: str) -> None:
    """RFC 7009 for a refresh token: revoke its family, and audit it."""
    row = session.get(RefreshToken, token.token_id)
    if row is not None:
        end_family(session, row, utcnow(), "refresh_token.revoked", actor, reason=reason)


def purge_batch(session: Session, *, cutoff: dt.datetime, batch_size: int) -> int:
    """Delete at most ``batch_size`` refresh tokens revoked or expired before ``cutoff``
    (kept until then so that a late reuse is still recognised and audited)."""
    ids = list(
        session.scalars(
            select(RefreshToken.id)
            .where(or_(RefreshToken.revoked_at < cutoff, RefreshToken.expires_at < cutoff))
            .limit(batch_size)
        )
    )
    if ids:
        session.execute(delete(RefreshToken).where(RefreshToken.id.in_(ids)))
    return len(ids)
