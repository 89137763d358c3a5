"""The SQL side of the authorization server: implements :mod:`zentail.oauth.stores`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.apps import valid_secrets
from zentail.oauth.stores import Client, CodeGrant, Redemption
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
