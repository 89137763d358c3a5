"""Redeeming an authorization code (RFC 6749 §4.1.3): the statements and the checks, free of
any transport. A redemption consumes the code first, exactly once among concurrent attempts,
then judges it (:func:`refusal`), then issues the token, replacing the installation's live one,
and audits it, all in one transaction; a refused code stays consumed.

- :func:`redeem_script` is the PostgreSQL redemption, a sans-I/O script an asyncpg connection
  drives: one statement, which consumes, judges, issues and audits.
- :mod:`zentail.domain.sqlite_redemption` is the SQLite one (no writable CTEs there), run by the
  SQLite writer beside the redemptions queued with it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from sqlalchemy import bindparam, select

from zentail.domain.actors import Actor
from zentail.oauth import pkce, stores
from zentail.oauth.stores import CodeGrant, CodeRedemption, RedemptionResult
from zentail.storage.gateway import Row, Statement, timestamp
from zentail.storage.models import AuthorizationCode, Installation

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
# PostgreSQL: a whole redemption in one statement, so in one round trip and no BEGIN or
# COMMIT. It consumes the code, and only if every check of :func:`refusal` passes (the same
# checks, in SQL; ``$5`` is the S256 of a well-formed verifier, ``!`` for a malformed one, NULL
# for none) revokes the installation's live tokens, stores the new token (and its refresh
# token, for an app that opted in to expiring tokens) and audits it. Reading ``revoked``
# (count) before inserting makes the revocation complete first, so the partial unique index
# (one live token per installation) sees the old token as deleted by this statement. Returns
# no row when it consumed nothing; else the grant as :data:`CONSUMED_CODE` has it (without
# ``consumed_at``), the new token's id (NULL when refused) and the replaced tokens' digests.
REDEEM_POSTGRESQL = Statement.text(
    "",
    """WITH consumed AS (
  UPDATE authorization_codes SET consumed_at = $1
  WHERE digest = $2 AND app_id = $3 AND consumed_at IS NULL
  RETURNING id, account_id, installation_id, redirect_uri, scopes, expires_at, code_challenge,
    created_at
), code AS (
  SELECT consumed.*, installations.uninstalled_at,
    consumed.expires_at > $1 AND installations.uninstalled_at IS NULL
      AND consumed.redirect_uri = $4 AND consumed.code_challenge IS NOT DISTINCT FROM $5
      AS issues
  FROM consumed JOIN installations ON installations.id = consumed.installation_id
), issuing AS (
  SELECT * FROM code WHERE issues
), revoked AS (
  UPDATE access_tokens SET revoked_at = $1
  WHERE installation_id = (SELECT installation_id FROM issuing) AND revoked_at IS NULL
  RETURNING id, digest
), revoked_refresh AS (
  UPDATE refresh_tokens SET revoked_at = $1
  WHERE installation_id = (SELECT installation_id FROM issuing) AND revoked_at IS NULL
  RETURNING id
), token AS (
  INSERT INTO access_tokens
    (digest, kind, account_id, app_id, installation_id, code_id, scopes, created_at, expires_at)
  SELECT $6, 'install', issuing.account_id, $3, issuing.installation_id, issuing.id,
    issuing.scopes, $1, $9
  FROM issuing, (SELECT count(*) FROM revoked) AS settled
  RETURNING id
), refresh AS (
  INSERT INTO refresh_tokens
    (digest, account_id, app_id, installation_id, family, access_token_id, scopes,
     created_at, expires_at)
  SELECT $10::varchar, issuing.account_id, $3, issuing.installation_id, $11, token.id,
    issuing.scopes, $1, $12
  FROM issuing, token, (SELECT count(*) FROM revoked_refresh) AS settled
  WHERE $10::varchar IS NOT NULL
  RETURNING id
), audit AS (
  INSERT INTO audit_events (at, event, actor, account_id, app_id, source_ip, detail)
  SELECT $1, 'token.issued', $7, issuing.account_id, $3, $8, json_strip_nulls(json_build_object(
    'token_id', token.id, 'kind', 'install',
    'refresh_token_id', (SELECT id FROM refresh),
    'replaced_token_ids', (SELECT json_agg(id ORDER BY id) FROM revoked)))
  FROM issuing, token
)
SELECT code.id, code.account_id, code.installation_id, code.redirect_uri, code.scopes,
  code.expires_at, code.uninstalled_at, code.code_challenge, code.created_at,
  (SELECT id FROM token), (SELECT coalesce(json_agg(digest), '[]')::text FROM revoked)
FROM code""",
    (
        "now",
        "code_digest",
        "app_id",
        "redirect_uri",
        "verifier_s256",
        "token_digest",
        "actor",
        "source_ip",
        "expires_at",
        "refresh_digest",
        "family",
        "refresh_expires_at",
    ),
)
UNMATCHABLE = "!"  # never an S256 challenge (RFC 7636 §4.2: base64url characters only)

Script = Generator[tuple[Statement, dict[str, Any]], list[Row], RedemptionResult]


def code_grant(row: Row, app_id: int) -> CodeGrant:
    """A :class:`CodeGrant` from a row of :data:`REDEEM_POSTGRESQL`, of SQLite's consume or
    (with ``consumed_at``) of :data:`CONSUMED_CODE`."""
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
    is one statement, :data:`REDEEM_POSTGRESQL`, run on its own (its own transaction); a code
    it did not consume costs one lookup more. (SQLite, without writable CTEs, redeems in
    :mod:`zentail.domain.sqlite_redemption`.)"""
    rows = yield REDEEM_POSTGRESQL, redeem_params(attempt, actor)
    if not rows:
        key = {"code_digest": attempt.code_digest, "app_id": attempt.app_id}
        rows = yield CONSUMED_CODE, key
        if not rows:
            return RedemptionResult(stores.UNKNOWN)
        return RedemptionResult(stores.REPLAYED, code_grant(rows[0], attempt.app_id))
    (*row, token_id, digests), *_ = rows
    grant = code_grant(tuple(row), attempt.app_id)
    refused = refusal(attempt, grant)
    if (refused is None) != (token_id is not None):  # the SQL and Python checks disagree
        raise AssertionError(f"redemption judged {refused} in Python, token {token_id} in SQL")
    if refused is not None:
        return RedemptionResult(refused, grant)
    return RedemptionResult(stores.REDEEMED, grant, token_id, tuple(json.loads(digests)))


def redeem_params(attempt: CodeRedemption, actor: Actor) -> dict[str, Any]:
    """The parameters of :data:`REDEEM_POSTGRESQL` for ``attempt``."""
    verifier = attempt.code_verifier
    if verifier is None:
        verifier_s256 = None
    else:
        verifier_s256 = pkce.s256(verifier) if pkce.is_verifier(verifier) else UNMATCHABLE
    # PostgreSQL's text holds no NUL, so neither does a registered redirect URI: such a one
    # is sent as NULL, which equals nothing, and the code is refused as any other mismatch.
    redirect_uri = None if "\x00" in attempt.redirect_uri else attempt.redirect_uri
    return {
        **_new_tokens(attempt),
        "code_digest": attempt.code_digest,
        "app_id": attempt.app_id,
        "redirect_uri": redirect_uri,
        "verifier_s256": verifier_s256,
        "actor": actor.label,
        "source_ip": actor.source_ip,
    }


def issue_params(attempt: CodeRedemption, grant: CodeGrant) -> dict[str, Any]:
    """The parameters of SQLite's issuing statements, for a grant redeemed by ``attempt``."""
    return {
        **_new_tokens(attempt),
        "installation_id": grant.installation_id,
        "account_id": grant.account_id,
        "app_id": grant.app_id,
        "code_id": grant.code_id,
        "scopes": grant.scopes,
    }


def _new_tokens(attempt: CodeRedemption) -> dict[str, Any]:
    """The new token (and refresh token, for an app that opted in) ``attempt`` would store."""
    refresh = attempt.refresh
    return {
        "now": attempt.now,
        "token_digest": attempt.token_digest,
        "expires_at": attempt.token_expires_at,
        "refresh_digest": refresh.digest if refresh else None,
        "family": refresh.family if refresh else None,
        "refresh_expires_at": refresh.expires_at if refresh else None,
    }


async def run_postgres(
    execute: Callable[[Statement, dict[str, Any]], Awaitable[list[Row]]], script: Script
) -> RedemptionResult:
    """Drive ``script``, each statement run by ``execute`` (its own transaction)."""
    try:
        statement, params = next(script)
        while True:
            statement, params = script.send(await execute(statement, params))
    except StopIteration as stop:
        result: RedemptionResult = stop.value
        return result
