"""The token endpoint's storage on the request path (implements
:class:`zentail.oauth.stores.AsyncGrantStore`).

- Clients are read with one prebuilt statement and cached per process, stamped with the
  generations the throttle's Redis round trip read (see :mod:`zentail.generations`): a secret
  rotation, suspension or edit is seen by the very next request on every node.
- Redemption is one transaction (:mod:`zentail.domain.redemption`): on PostgreSQL a script
  an asyncpg connection drives, on SQLite a unit of the writer thread that runs beside the
  redemptions queued with it (:mod:`zentail.domain.sqlite_redemption`).
- The rare paths (audit of failures, replay revocation) reuse the ORM store in a worker thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from joserfc.jwk import KeySet
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from zentail import generations
from zentail.domain import client_keys, redemption, refresh_tokens, sqlite_redemption
from zentail.domain.actors import Actor
from zentail.domain.authorization import SqlAuthorizationStore
from zentail.limits import Bucket, Outcome
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
from zentail.storage.gateway import Statement
from zentail.storage.models import (
    App,
    AppSecret,
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
            unit = sqlite_redemption.Redemption(attempt, self.actor)
            result = await gateway.write(unit)  # type: ignore[union-attr]
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
                script = redemption.redeem_script(attempt, self.actor)
                return await redemption.run_postgres(gateway.fetch_all, script)
            except asyncpg.UniqueViolationError:
                # Another exchange for the same installation committed its token between our
                # revocation of the live one and our insert, so the whole statement (the
                # code's consumption too) was rolled back: run again, replacing it.
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
