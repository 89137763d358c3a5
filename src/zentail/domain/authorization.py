"""The SQL side of the authorization server: implements :mod:`zentail.oauth.stores`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from joserfc.jwk import KeySet
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from zentail import generations
from zentail.domain import audit, client_keys, diagnostics, refresh_tokens, tokens
from zentail.domain.actors import Actor
from zentail.domain.apps import valid_secrets
from zentail.limits import Limiter
from zentail.oauth.errors import TemporarilyUnavailable
from zentail.oauth.stores import Client, CodeGrant, TokenFailure, TokenRecord
from zentail.storage.models import AccessToken, App, AuthorizationCode, utcnow


class SqlAuthorizationStore:
    """Client and token storage for revocation and introspection, and the rare paths of the
    token endpoint (audit of failures, replay revocation): one ORM unit of work."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        *,
        limiter: Limiter | None = None,
        issuer: str = "",
        production: bool = False,
    ) -> None:
        self.session = session
        self.actor = actor
        # private_key_jwt (zentail.oauth.client_assertion): the shared store of used jti
        # values, the audience, and whether a jwks_uri must reach a public address.
        self.limiter = limiter
        self.platform_issuer = issuer
        self.production = production

    def find_client(self, client_id: str) -> Client | None:
        # The secrets in the same statement: a known and an unknown client cost the same work.
        app = (
            self.session.execute(
                select(App).options(joinedload(App.secrets)).where(App.client_id == client_id)
            )
            .unique()
            .scalar_one_or_none()
        )
        if app is None:
            return None
        valid = valid_secrets(app, utcnow())
        expired = tuple(s.digest for s in app.secrets if s not in valid)
        return Client(
            app.id,
            app.client_id,
            app.redirect_uri,
            app.status == "active",
            tuple(s.digest for s in valid),
            expired,
            app.token_lifetime_seconds,
            app.jwks,
            app.jwks_uri,
            app.secrets_accepted,
        )

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

    @property
    def issuer(self) -> str:
        return self.platform_issuer

    def assertion_keys(self, client: Client) -> KeySet | None:
        return client_keys.keys_of(client, production=self.production)

    def first_use(self, client_id: str, jti: str, until: dt.datetime) -> bool:
        if self.limiter is None:
            raise TemporarilyUnavailable(1)  # no shared jti store wired in: fail closed
        return client_keys.first_use(self.limiter, client_id, jti, until)

    def record_token_failure(self, client_id: str, failure: TokenFailure) -> None:
        diagnostics.record(self.session, client_id, failure)

    def code_issued_to_another_client(self, code_digest: str, app_id: int) -> bool:
        return diagnostics.issued_to_another_client(self.session, code_digest, app_id)

    def token_failures(self, app_id: int, now: dt.datetime) -> list[TokenFailure]:
        return diagnostics.recent(self.session, app_id, now=now)

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
            return refresh_tokens.record(self.session, digest, now)
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
            expires_at=token.expires_at,
        )

    def revoke_token(self, token: TokenRecord, reason: str) -> None:
        if token.token_type == "refresh_token":  # noqa: S105 - a token type
            refresh_tokens.revoke(self.session, token, actor=self.actor, reason=reason)
            return
        row = self.session.get(AccessToken, token.token_id)
        if row is not None:
            tokens.revoke(self.session, row, actor=self.actor, reason=reason)

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
            generations.after_commit(self.session)
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


@dataclass(frozen=True)
class PurgeCounts:
    codes: int
    tokens: int
    token_failures: int = 0
    refresh_tokens: int = 0

    @property
    def largest(self) -> int:
        """The largest count: below the batch size, nothing of that kind is left."""
        return max(self.codes, self.tokens, self.token_failures, self.refresh_tokens)


def purge_batch(
    session: Session, *, now: dt.datetime, retention: int, batch_size: int
) -> PurgeCounts:
    """Delete at most ``batch_size`` dead codes, as many dead access tokens, as many dead
    refresh tokens and as many token failures past their week (one unit of work).

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
    failures = diagnostics.purge_batch(session, now=now, batch_size=batch_size)
    refreshes = refresh_tokens.purge_batch(session, cutoff=cutoff, batch_size=batch_size)
    return PurgeCounts(len(code_ids), len(token_ids), failures, refreshes)
