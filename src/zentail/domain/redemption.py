"""Redeeming an authorization code (RFC 6749 §4.1.3): the statements and the checks, free of
any transport. A redemption consumes the code first, exactly once among concurrent attempts,
then judges it (:func:`refusal`), then issues the token, replacing the installation's live one,
and audits it, all in one transaction.

- :func:`redeem_script` is the PostgreSQL redemption, a sans-I/O script an asyncpg connection
  drives: with BEGIN and COMMIT, four statements.
- :mod:`zentail.domain.sqlite_redemption` is the SQLite one (no writable CTEs there), run by the
  SQLite writer beside the redemptions queued with it.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

from sqlalchemy import bindparam, select, update

from zentail.domain.actors import Actor
from zentail.oauth import pkce, stores
from zentail.oauth.stores import CodeGrant, CodeRedemption, RedemptionResult
from zentail.storage.gateway import Row, Statement, timestamp
from zentail.storage.models import AuthorizationCode, Installation

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


def code_grant(row: Row, app_id: int) -> CodeGrant:
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


def refusal(attempt: CodeRedemption, grant: CodeGrant) -> str | None:
    """Why a code ``attempt`` has just consumed issues no token, or ``None``: expired, its
    installation gone, another redirect URI (RFC 6749 §4.1.3) or a verifier that fails its
    challenge (RFC 7636 §4.6)."""
    if grant.expires_at <= attempt.now:
        return stores.EXPIRED
    if not grant.installed:
        return stores.UNINSTALLED
    if attempt.redirect_uri != grant.redirect_uri:
        return stores.REDIRECT_MISMATCH
    if not pkce.verifies(attempt.code_verifier, grant.code_challenge):
        return stores.VERIFIER_MISMATCH
    return None


def redeem_script(attempt: CodeRedemption, actor: Actor) -> Script:
    """The statements of one redemption on PostgreSQL (the contract is
    :meth:`zentail.oauth.stores.AsyncGrantStore.redeem`). Yields each statement, receives its
    rows; returns the result, with the replaced tokens' digests in ``replaced``. A redemption
    that issues a token is, with BEGIN and COMMIT, four statements. (SQLite, without
    writable CTEs, redeems in :mod:`zentail.domain.sqlite_redemption`.)"""
    key = {"code_digest": attempt.code_digest, "app_id": attempt.app_id}
    rows = yield CONSUME, {**key, "now": attempt.now}
    if not rows:
        rows = yield CONSUMED_CODE, key
        if not rows:
            return RedemptionResult(stores.UNKNOWN)
        return RedemptionResult(stores.REPLAYED, code_grant(rows[0], attempt.app_id))
    grant = code_grant(rows[0], attempt.app_id)
    refused = refusal(attempt, grant)
    if refused is not None:
        return RedemptionResult(refused, grant)
    issue = {**issue_params(attempt, grant), "actor": actor.label, "source_ip": actor.source_ip}
    (token_id, digests), *_ = yield ISSUE_POSTGRESQL, issue
    return RedemptionResult(stores.REDEEMED, grant, token_id, tuple(json.loads(digests)))


def issue_params(attempt: CodeRedemption, grant: CodeGrant) -> dict[str, Any]:
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


async def run_postgres(tx: Any, script: Script) -> RedemptionResult:
    try:
        statement, params = next(script)
        while True:
            statement, params = script.send(await tx.execute(statement, params))
    except StopIteration as stop:
        result: RedemptionResult = stop.value
        return result
