"""The SQL side of the authorization server: implements :mod:`zentail.oauth.stores`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from zentail.domain import audit, tokens
from zentail.domain.actors import Actor
from zentail.domain.apps import valid_secrets
from zentail.oauth.stores import Client, CodeGrant, Redemption, TokenRecord
from zentail.storage.models import AccessToken, App, AuthorizationCode, Installation, utcnow


class SqlAuthorizationStore:
    """Client, code and token storage for one token request (one unit of work)."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def find_client(self, client_id: str) -> Client | None:
        app = self.session.scalar(select(App).where(App.client_id == client_id))
        if app is None:
            return None
        digests = tuple(s.digest for s in valid_secrets(app, utcnow()))
        return Client(app.id, app.client_id, app.redirect_uri, app.status == "active", digests)

    def record_auth_failure(self, client_id: str, reason: str) -> None:
        app_id = self.session.scalar(select(App.id).where(App.client_id == client_id))
        audit.record(
            self.session,
            "client.auth_failed",
            self.actor,
            app_id=app_id,
            client_id=client_id[:64],
            reason=reason,
        )

    def record_throttled(self, client_id: str, bucket: str) -> None:
        app_id = self.session.scalar(select(App.id).where(App.client_id == client_id))
        audit.record(
            self.session,
            "client.throttled",
            self.actor,
            app_id=app_id,
            client_id=client_id[:64],
            bucket=bucket,
        )

    def find_token(self, digest: str, now: dt.datetime) -> TokenRecord | None:
        row = self.session.execute(
            select(AccessToken, App.status)
            .outerjoin(App, App.id == AccessToken.app_id)
            .where(AccessToken.digest == digest)
        ).one_or_none()
        if row is None:
            return None
        token, app_status = row
        revoked = token.revoked_at is not None
        expired = token.expires_at is not None and token.expires_at <= now
        suspended = token.app_id is not None and app_status != "active"
        return TokenRecord(
            token_id=token.id,
            app_id=token.app_id,
            account_id=token.account_id,
            scopes=token.scopes,
            issued_at=token.created_at,
            revoked=revoked,
            active=not (revoked or expired or suspended),
        )

    def revoke_token(self, token: TokenRecord, reason: str) -> None:
        row = self.session.get(AccessToken, token.token_id)
        if row is not None:
            tokens.revoke(self.session, row, actor=self.actor, reason=reason)

    def consume_code(self, digest: str, app_id: int, now: dt.datetime) -> Redemption:
        """``UPDATE … SET consumed_at WHERE … consumed_at IS NULL``: the database picks exactly
        one winner among concurrent redemptions (row lock on PostgreSQL, the single writer on
        SQLite); every other request sees the code as already consumed."""
        consumed = self.session.execute(
            update(AuthorizationCode)
            .where(
                AuthorizationCode.digest == digest,
                AuthorizationCode.app_id == app_id,
                AuthorizationCode.consumed_at.is_(None),
            )
            .values(consumed_at=now)
        )
        row = self.session.execute(
            select(AuthorizationCode, Installation.uninstalled_at)
            .join(Installation, Installation.id == AuthorizationCode.installation_id)
            .where(AuthorizationCode.digest == digest, AuthorizationCode.app_id == app_id)
        ).one_or_none()
        if row is None:
            return Redemption(None, first_use=False)
        code, uninstalled_at = row
        grant = CodeGrant(
            code_id=code.id,
            app_id=code.app_id,
            account_id=code.account_id,
            installation_id=code.installation_id,
            redirect_uri=code.redirect_uri,
            scopes=code.scopes,
            expires_at=code.expires_at,
            installed=uninstalled_at is None,
        )
        return Redemption(grant, first_use=consumed.rowcount == 1)  # type: ignore[attr-defined]

    def revoke_tokens_issued_from(self, grant: CodeGrant) -> int:
        now = utcnow()
        token_ids = list(
            self.session.scalars(
                select(AccessToken.id).where(
                    AccessToken.code_id == grant.code_id, AccessToken.revoked_at.is_(None)
                )
            )
        )
        if token_ids:
            self.session.execute(
                update(AccessToken).where(AccessToken.id.in_(token_ids)).values(revoked_at=now)
            )
        audit.record(
            self.session,
            "code.replay_detected",
            self.actor,
            account_id=grant.account_id,
            app_id=grant.app_id,
            code_id=grant.code_id,
            revoked_token_ids=token_ids,
        )
        return len(token_ids)

    def issue_token(self, grant: CodeGrant, token_digest: str) -> int:
        """One active token per installation: the previous one is revoked."""
        now = utcnow()
        self.session.execute(
            update(AccessToken)
            .where(
                AccessToken.installation_id == grant.installation_id,
                AccessToken.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        token = AccessToken(
            digest=token_digest,
            kind="install",
            account_id=grant.account_id,
            app_id=grant.app_id,
            installation_id=grant.installation_id,
            code_id=grant.code_id,
            scopes=grant.scopes,
        )
        self.session.add(token)
        self.session.flush()
        audit.record(
            self.session,
            "token.issued",
            self.actor,
            account_id=grant.account_id,
            app_id=grant.app_id,
            token_id=token.id,
            kind="install",
        )
        return token.id


@dataclass(frozen=True)
class PurgeCounts:
    codes: int
    tokens: int


def purge_batch(
    session: Session, *, now: dt.datetime, retention: int, batch_size: int
) -> PurgeCounts:
    """Delete at most ``batch_size`` dead codes and as many dead tokens (one unit of work).

    Dead means: a code whose expiry, or a token whose revocation or expiry, is more than
    ``retention`` seconds old. Keeping them that long lets a late replay still be detected and
    audited. Call repeatedly until both counts are 0; each batch is short, so purging never
    holds long locks.
    """
    cutoff = now - dt.timedelta(seconds=retention)
    token_ids = list(
        session.scalars(
            select(AccessToken.id)
            .where(
                or_(
                    AccessToken.revoked_at < cutoff,
                    and_(AccessToken.expires_at.is_not(None), AccessToken.expires_at < cutoff),
                )
            )
            .limit(batch_size)
        )
    )
    if token_ids:
        session.execute(delete(AccessToken).where(AccessToken.id.in_(token_ids)))
    code_ids = list(
        session.scalars(
            select(AuthorizationCode.id)
            .where(AuthorizationCode.expires_at < cutoff)
            .limit(batch_size)
        )
    )
    if code_ids:
        # Live tokens keep working; they just no longer point at a code.
        session.execute(
            update(AccessToken).where(AccessToken.code_id.in_(code_ids)).values(code_id=None)
        )
        session.execute(delete(AuthorizationCode).where(AuthorizationCode.id.in_(code_ids)))
    return PurgeCounts(codes=len(code_ids), tokens=len(token_ids))
