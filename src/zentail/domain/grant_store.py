"""The token endpoint's storage on the request path (implements
:class:`zentail.oauth.stores.AsyncGrantStore`).

- Clients are read with one prebuilt statement and cached per process, stamped with the
  generations the throttle's Redis round trip read (see :mod:`zentail.generations`): a secret
  rotation, suspension or edit is seen by the very next request on every node.
- Redemption is one transaction of prebuilt statements, written once as a sans-I/O script
  (:func:`redeem_script`) that the SQLite writer thread and the asyncpg connection each drive.
- The rare paths (audit of failures, replay revocation) reuse the ORM store in a worker thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Generator
from typing import Any

from joserfc.jwk import KeySet
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from zentail import generations
from zentail.domain import client_keys, refresh_tokens
from zentail.domain.actors import Actor
from zentail.domain.authorization import SqlAuthorizationStore
from zentail.limits import Bucket, Outcome
from zentail.oauth import pkce, stores
from zentail.oauth.stores import (
    Client,
    CodeGrant,
    CodeRedemption,
    RedemptionResult,
    RefreshAttempt,
    RefreshResult,
    RefreshState,
    TokenFailure,
)
from zentail.platform import Platform
from zentail.principal_cache import CachedClient
from zentail.storage.gateway import Row, SqliteTransaction, Statement, timestamp
from zentail.storage.models import (
    AccessToken,
    App,
    AppSecret,
    AuditEvent,
    AuthorizationCode,
    Installation,
    RefreshToken,
)

log = logging.getLogger("zentail.oauth")
# Refused requests kept per client: a burst of 100, then one a second.
RECORDED_PER_SECOND = 1.0
RECORDED_BURST = 100

CLIENT_BY_ID = Statement.build(
    select(
        App.id,
        App.client_id,
        App.redirect_uri,
        App.status,
        App.token_lifetime_seconds,
        App.jwks,
        App.jwks_uri,
        App.secrets_accepted,
        AppSecret.digest,
        AppSecret.expires_at,
    )
    .outerjoin(AppSecret, AppSecret.app_id == App.id)
    .where(App.client_id == bindparam("client_id"))
)
CONSUME = Statement.build(
    update(AuthorizationCode)
    .where(
        AuthorizationCode.digest == bindparam("code_digest"),
        AuthorizationCode.app_id == bindparam("app_id"),
        AuthorizationCode.consumed_at.is_(None),
    )
    .values(consumed_at=bindparam("now"))
    .returning(
        AuthorizationCode.id,
        AuthorizationCode.account_id,
        AuthorizationCode.installation_id,
        AuthorizationCode.redirect_uri,
        AuthorizationCode.scopes,
        AuthorizationCode.expires_at,
        select(Installation.uninstalled_at)
        .where(Installation.id == AuthorizationCode.installation_id)
        .scalar_subquery(),
        AuthorizationCode.code_challenge,
        AuthorizationCode.created_at,
    )
)
CONSUMED_CODE = Statement.build(
    select(
        AuthorizationCode.id,
        AuthorizationCode.account_id,
        AuthorizationCode.installation_id,
        AuthorizationCode.redirect_uri,
        AuthorizationCode.scopes,
        AuthorizationCode.expires_at,
        Installation.uninstalled_at,
        AuthorizationCode.code_challenge,
        AuthorizationCode.created_at,
        AuthorizationCode.consumed_at,
    )
    .join(Installation, Installation.id == AuthorizationCode.installation_id)
    .where(
        AuthorizationCode.digest == bindparam("code_digest"),
        AuthorizationCode.app_id == bindparam("app_id"),
    )
)
REVOKE_LIVE = Statement.build(
    update(AccessToken)
    .where(
        AccessToken.installation_id == bindparam("installation_id"),
        AccessToken.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
    .returning(AccessToken.id, AccessToken.digest)
)
INSERT_TOKEN = Statement.build(
    insert(AccessToken)
    .values(
        digest=bindparam("token_digest"),
        kind="install",
        account_id=bindparam("account_id"),
        app_id=bindparam("app_id"),
        installation_id=bindparam("installation_id"),
        code_id=bindparam("code_id"),
        scopes=bindparam("scopes"),
        created_at=bindparam("now"),
        expires_at=bindparam("expires_at"),
    )
    .returning(AccessToken.id)
)
# One live grant per installation: a new exchange ends the refresh tokens of the last one.
REVOKE_LIVE_REFRESH = Statement.build(
    update(RefreshToken)
    .where(
        RefreshToken.installation_id == bindparam("installation_id"),
        RefreshToken.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
)
INSERT_REFRESH = Statement.build(
    insert(RefreshToken)
    .values(
        digest=bindparam("refresh_digest"),
        account_id=bindparam("account_id"),
        app_id=bindparam("app_id"),
        installation_id=bindparam("installation_id"),
        family=bindparam("family"),
        access_token_id=bindparam("token_id"),
        scopes=bindparam("scopes"),
        created_at=bindparam("now"),
        expires_at=bindparam("refresh_expires_at"),
    )
    .returning(RefreshToken.id)
)
INSERT_AUDIT = Statement.build(
    insert(AuditEvent).values(
        at=bindparam("now"),
        event="token.issued",
        actor=bindparam("actor"),
        account_id=bindparam("account_id"),
        app_id=bindparam("app_id"),
        source_ip=bindparam("source_ip"),
        detail=bindparam("detail"),
    )
)

# PostgreSQL: the writes of an issuance in one statement. Reading ``revoked`` (count)
# before inserting makes the revocation complete first, so the partial unique index (one live
# token per installation) sees the old token as deleted by this transaction. The refresh
# token ($10-$13) is inserted only for an app that opted in to expiring tokens.
ISSUE_POSTGRESQL = Statement.text(
    "",
    """WITH revoked AS (
  UPDATE access_tokens SET revoked_at = $1
  WHERE installation_id = $2 AND revoked_at IS NULL
  RETURNING id, digest
), revoked_refresh AS (
  UPDATE refresh_tokens SET revoked_at = $1
  WHERE installation_id = $2 AND revoked_at IS NULL
  RETURNING id
), token AS (
  INSERT INTO access_tokens
    (digest, kind, account_id, app_id, installation_id, code_id, scopes, created_at, expires_at)
  SELECT $3, 'install', $4, $5, $2, $6, $7, $1, $10
  FROM (SELECT count(*) FROM revoked) AS settled
  RETURNING id
), refresh AS (
  INSERT INTO refresh_tokens
    (digest, account_id, app_id, installation_id, family, access_token_id, scopes,
     created_at, expires_at)
  SELECT $11::varchar, $4, $5, $2, $12, token.id, $7, $1, $13
  FROM token, (SELECT count(*) FROM revoked_refresh) AS settled
  WHERE $11::varchar IS NOT NULL
  RETURNING id
), audit AS (
  INSERT INTO audit_events (at, event, actor, account_id, app_id, source_ip, detail)
  SELECT $1, 'token.issued', $8, $4, $5, $9, json_strip_nulls(json_build_object(
    'token_id', token.id, 'kind', 'install',
    'refresh_token_id', (SELECT id FROM refresh),
    'replaced_token_ids', (SELECT json_agg(id ORDER BY id) FROM revoked)))
  FROM token
)
SELECT (SELECT id FROM token), (SELECT coalesce(json_agg(digest), '[]')::text FROM revoked)""",
    (
        "now",
        "installation_id",
        "token_digest",
        "account_id",
        "app_id",
        "code_id",
        "scopes",
        "actor",
        "source_ip",
        "expires_at",
        "refresh_digest",
        "family",
        "refresh_expires_at",
    ),
)

Script = Generator[tuple[Statement, dict[str, Any]], list[Row], RedemptionResult]


def _grant(row: Row, app_id: int) -> CodeGrant:
    """A :class:`CodeGrant` from a row of :data:`CONSUME` or (with ``consumed_at``)
    :data:`CONSUMED_CODE`."""
    code_id, account_id, installation_id, redirect_uri, scopes = row[:5]
    expires_at, uninstalled, challenge, created_at = row[5:9]
    expires = timestamp(expires_at)
    assert expires is not None
    bound = (code_id, app_id, account_id, installation_id, redirect_uri, scopes, expires)
    return CodeGrant(
        *bound,
        installed=not uninstalled,
        code_challenge=challenge,
        issued_at=timestamp(created_at),
        consumed_at=timestamp(row[9]) if len(row) > 9 else None,
    )


def redeem_script(attempt: CodeRedemption, actor: Actor, dialect: str) -> Script:
    """The statements of one redemption (the contract is
    :meth:`zentail.oauth.stores.AsyncGrantStore.redeem`). Yields each statement, receives its
    rows; returns the result, with the replaced tokens' digests in ``replaced``. A redemption
    that issues a token is, with BEGIN and COMMIT, four statements on PostgreSQL and seven
    (eight with a refresh token, in-process) on SQLite."""
    key = {"code_digest": attempt.code_digest, "app_id": attempt.app_id}
    rows = yield CONSUME, {**key, "now": attempt.now}
    if not rows:
        rows = yield CONSUMED_CODE, key
        if not rows:
            return RedemptionResult(stores.UNKNOWN)
        return RedemptionResult(stores.REPLAYED, _grant(rows[0], attempt.app_id))
    grant = _grant(rows[0], attempt.app_id)
    if grant.expires_at <= attempt.now:
        return RedemptionResult(stores.EXPIRED, grant)
    if not grant.installed:
        return RedemptionResult(stores.UNINSTALLED, grant)
    if attempt.redirect_uri != grant.redirect_uri:
        return RedemptionResult(stores.REDIRECT_MISMATCH, grant)
    if not pkce.verifies(attempt.code_verifier, grant.code_challenge):
        return RedemptionResult(stores.VERIFIER_MISMATCH, grant)
    issue = _issue_params(attempt, grant)
    if dialect == "postgresql":
        (token_id, digests), *_ = yield (
            ISSUE_POSTGRESQL,
            {**issue, "actor": actor.label, "source_ip": actor.source_ip},
        )
        return RedemptionResult(stores.REDEEMED, grant, token_id, tuple(json.loads(digests)))
    live = {"installation_id": grant.installation_id, "now": attempt.now}
    replaced = yield REVOKE_LIVE, live
    yield REVOKE_LIVE_REFRESH, live
    (token_id,), *_ = yield INSERT_TOKEN, issue
    detail: dict[str, Any] = {"token_id": token_id, "kind": "install"}
    if attempt.refresh is not None:
        (detail["refresh_token_id"],), *_ = yield INSERT_REFRESH, {**issue, "token_id": token_id}
    if replaced:
        detail["replaced_token_ids"] = [row[0] for row in replaced]
    yield (
        INSERT_AUDIT,
        {
            "now": attempt.now,
            "actor": actor.label,
            "account_id": grant.account_id,
            "app_id": grant.app_id,
            "source_ip": actor.source_ip,
            "detail": json.dumps(detail),
        },
    )
    return RedemptionResult(stores.REDEEMED, grant, token_id, tuple(row[1] for row in replaced))


def _issue_params(attempt: CodeRedemption, grant: CodeGrant) -> dict[str, Any]:
    """The parameters of the issuing statements, for a grant redeemed by ``attempt``."""
    refresh = attempt.refresh
    return {
        "now": attempt.now,
        "installation_id": grant.installation_id,
        "token_digest": attempt.token_digest,
        "account_id": grant.account_id,
        "app_id": grant.app_id,
        "code_id": grant.code_id,
        "scopes": grant.scopes,
        "expires_at": attempt.token_expires_at,
        "refresh_digest": refresh.digest if refresh else None,
        "family": refresh.family if refresh else None,
        "refresh_expires_at": refresh.expires_at if refresh else None,
    }


def run_sqlite(tx: SqliteTransaction, script: Script) -> RedemptionResult:
    try:
        statement, params = next(script)
        while True:
            statement, params = script.send(tx.execute(statement, params))
    except StopIteration as stop:
        result: RedemptionResult = stop.value
        return result


async def run_postgres(tx: Any, script: Script) -> RedemptionResult:
    try:
        statement, params = next(script)
        while True:
            statement, params = script.send(await tx.execute(statement, params))
    except StopIteration as stop:
        result: RedemptionResult = stop.value
        return result


class GrantStore:
    """One token request's view of storage. ``outcome`` is the throttle's Redis answer,
    which vouches for cached clients."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor
        self.outcome: Outcome | None = None
        self._clients = platform.clients

    async def find_client(self, client_id: str) -> Client | None:
        now = dt.datetime.now(dt.UTC)
        outcome = self.outcome
        cached = self._clients.get(client_id)
        max_age = self.platform.settings.credential_cache_seconds
        if (
            cached is not None
            and outcome is not None
            and outcome.shared
            and cached.stamp == outcome.counters
            and time.monotonic() - cached.filled_at < max_age
        ):
            return cached.client(now)
        rows = await self.platform.gateway.fetch_all(CLIENT_BY_ID, {"client_id": client_id})
        if not rows:
            self._clients.pop(client_id, None)
            return None
        fresh = CachedClient(rows, outcome.counters if outcome else ())
        if outcome is not None and outcome.shared and max_age > 0:
            if len(self._clients) > 10_000:
                self._clients.clear()
            self._clients[client_id] = fresh
        return fresh.client(now)

    async def redeem(self, attempt: CodeRedemption) -> RedemptionResult:
        gateway = self.platform.gateway
        result: RedemptionResult
        if gateway.dialect == "sqlite":
            result = await gateway.write(  # type: ignore[union-attr]
                lambda tx: run_sqlite(tx, redeem_script(attempt, self.actor, "sqlite"))
            )
        else:
            result = await self._redeem_postgres(attempt)
        if result.replaced:
            await self.platform.limiter.aincrement(
                [generations.token_counter(d) for d in result.replaced]
            )
        return result

    async def _redeem_postgres(self, attempt: CodeRedemption) -> RedemptionResult:
        import asyncpg

        gateway = self.platform.gateway
        for attempt_number in range(5):
            try:
                result: RedemptionResult = await gateway.transaction(  # type: ignore[union-attr]
                    lambda tx: run_postgres(tx, redeem_script(attempt, self.actor, "postgresql"))
                )
                return result
            except asyncpg.UniqueViolationError:
                # Another exchange for the same installation committed its token between our
                # revocation of the live one and our insert: run again, replacing it.
                if attempt_number == 4:
                    raise
        raise AssertionError("unreachable")

    async def refresh(
        self, attempt: RefreshAttempt, judge: Callable[[RefreshState], str]
    ) -> RefreshResult:
        """One ORM write unit in a worker thread (never on the event loop), the presented
        token's row locked; retried when a concurrent exchange for the same installation
        stored its token first (the one-live-token index)."""

        def work() -> RefreshResult:
            with self.platform.db.session(write=True) as session:
                return refresh_tokens.redeem(session, attempt, judge, self.actor)

        for attempt_number in range(5):
            try:
                result: RefreshResult = await run_in_threadpool(work)
                return result
            except IntegrityError:
                if attempt_number == 4:
                    raise
        raise AssertionError("unreachable")

    async def _with_orm(self, name: str, *args: Any) -> Any:
        def work() -> Any:
            with self.platform.db.session(write=True) as session:
                return getattr(SqlAuthorizationStore(session, self.actor), name)(*args)

        return await run_in_threadpool(work)

    async def record_auth_failure(self, client_id: str, reason: str) -> None:
        await self._with_orm("record_auth_failure", client_id, reason)

    @property
    def issuer(self) -> str:
        return self.platform.settings.issuer

    async def assertion_keys(self, client: Client) -> KeySet | None:
        production = self.platform.settings.env == "production"
        return await client_keys.akeys_of(client, production=production)

    async def first_use(self, client_id: str, jti: str, until: dt.datetime) -> bool:
        return await client_keys.afirst_use(self.platform.limiter, client_id, jti, until)

    async def record_throttled(self, client_id: str, bucket: str) -> None:
        await self._with_orm("record_throttled", client_id, bucket)

    async def revoke_tokens_issued_from(self, grant: CodeGrant) -> int:
        count: int = await self._with_orm("revoke_tokens_issued_from", grant)
        return count

    async def code_issued_to_another_client(self, code_digest: str, app_id: int) -> bool:
        found: bool = await self._with_orm("code_issued_to_another_client", code_digest, app_id)
        return found

    async def record_token_failure(self, client_id: str, failure: TokenFailure) -> None:
        """Kept unless this client's recent failures already filled their bucket (a client
        ID is no secret: anyone can send refused requests naming it); never raises."""
        hashed = hashlib.sha256(client_id.encode()).hexdigest()[:32]
        bucket = Bucket(f"diagnostics:{hashed}", RECORDED_PER_SECOND, RECORDED_BURST)
        try:
            if (await self.platform.limiter.atake([bucket])).refusal is None:
                failure = dataclasses.replace(failure, source_ip=self.actor.source_ip)
                await self._with_orm("record_token_failure", client_id, failure)
        except Exception:  # a diagnosis never changes the answer
            log.warning(
                "token failure not recorded for client_id=%s", client_id[:64], exc_info=True
            )

    async def token_failures(self, app_id: int, now: dt.datetime) -> list[TokenFailure]:
        failures: list[TokenFailure] = await self._with_orm("token_failures", app_id, now)
        return failures
