"""Code redemptions on SQLite, several in the statements of one
(docs/decisions/0070-sqlite-redemptions-in-batches.md).

The SQLite writer commits the units queued meanwhile in one transaction
(:meth:`zentail.storage.gateway.SqliteGateway.write`). Redemptions queued next to each other
run there as one batch: consuming the codes, revoking the installations' live tokens, storing
the new tokens and auditing them are each one statement for the whole batch, so a batch of N
redemptions costs what one does. The outcome is the one the redemptions would have had one
after another, in queue order:

- a code is consumed by the first redemption that names it and by no other (RFC 6749
  §4.1.2): a later one in the same batch finds it consumed (``replayed``);
- every check of :func:`zentail.domain.redemption.refusal` runs after the code is consumed, so
  a refused code stays consumed (docs/decisions/0063);
- one live token per installation: two redemptions for one installation in a batch run in
  successive waves, the later replacing the token of the earlier.

The statements are SQLite's own (``UPDATE … FROM``, multi-row ``VALUES``, ``RETURNING``), built
once per batch size; PostgreSQL redeems with one writable-CTE statement instead
(:data:`zentail.domain.redemption.REDEEM_POSTGRESQL`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from zentail.domain import redemption
from zentail.domain.actors import Actor
from zentail.oauth import stores
from zentail.oauth.stores import CodeGrant, CodeRedemption, RedemptionResult
from zentail.storage.gateway import Row, SqliteTransaction, Statement


@dataclass(frozen=True)
class Redemption:
    """One redemption as a unit of the SQLite writer: alone, a batch of one; queued beside
    others of its kind, run with them by :func:`redeem_together`."""

    attempt: CodeRedemption
    actor: Actor

    def __call__(self, tx: SqliteTransaction) -> RedemptionResult:
        return redeem_together(tx, [self])[0]

    @staticmethod
    def batch(tx: SqliteTransaction, units: Sequence[Redemption]) -> list[RedemptionResult]:
        return redeem_together(tx, units)


def _rows(head: str, row: str, tail: str, names: tuple[str, ...], count: int) -> Statement:
    """``head`` + ``count`` copies of ``row`` (one ``?`` per name) + ``tail``; the parameter
    of name ``n`` in row ``i`` is ``n_i``."""
    sql = head + ", ".join([row] * count) + tail
    return Statement.text(sql, "", [f"{name}_{i}" for i in range(count) for name in names])


def _values(names: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {
        f"{name}_{i}": value
        for i, row in enumerate(rows)
        for name, value in zip(names, row, strict=True)
    }


CONSUME_NAMES = ("digest", "app_id", "now")
OFFERED = ("installation_id", "now")


@functools.cache
def consume(count: int) -> Statement:
    """Consume the unconsumed codes among ``count`` (digest, app, now); for each consumed one,
    its digest and app, the grant as :func:`zentail.domain.redemption.code_grant` reads it,
    and whether its installation has live refresh tokens."""
    return _rows(
        "WITH batch(digest, app_id, now) AS (VALUES ",
        "(?, ?, ?)",
        """)
UPDATE authorization_codes SET consumed_at = batch.now FROM batch
WHERE authorization_codes.digest = batch.digest AND authorization_codes.app_id = batch.app_id
  AND authorization_codes.consumed_at IS NULL
RETURNING authorization_codes.digest, authorization_codes.app_id, authorization_codes.id,
  authorization_codes.account_id, authorization_codes.installation_id,
  authorization_codes.redirect_uri, authorization_codes.scopes, authorization_codes.expires_at,
  (SELECT installations.uninstalled_at FROM installations
   WHERE installations.id = authorization_codes.installation_id),
  authorization_codes.code_challenge, authorization_codes.created_at,
  EXISTS (SELECT 1 FROM refresh_tokens
          WHERE refresh_tokens.installation_id = authorization_codes.installation_id
            AND refresh_tokens.revoked_at IS NULL)""",
        CONSUME_NAMES,
        count,
    )


@functools.cache
def revoke_live(table: Literal["access_tokens", "refresh_tokens"], count: int) -> Statement:
    """Revoke the live rows of ``table`` (``access_tokens`` or ``refresh_tokens``) of
    ``count`` distinct installations, each at its own time; the revoked rows' id, digest and
    installation."""
    return _rows(
        "WITH batch(installation_id, now) AS (VALUES ",
        "(?, ?)",
        f""")
UPDATE {table} SET revoked_at = batch.now FROM batch
WHERE {table}.installation_id = batch.installation_id AND {table}.revoked_at IS NULL
RETURNING {table}.id, {table}.digest, {table}.installation_id""",  # noqa: S608 - a literal
        OFFERED,
        count,
    )


TOKEN_NAMES = (
    "token_digest",
    "account_id",
    "app_id",
    "installation_id",
    "code_id",
    "scopes",
    "now",
    "expires_at",
)


@functools.cache
def insert_tokens(count: int) -> Statement:
    """Store ``count`` install tokens of distinct installations; each one's id and
    installation."""
    return _rows(
        "INSERT INTO access_tokens (digest, kind, account_id, app_id, installation_id, code_id,"
        " scopes, created_at, expires_at) VALUES ",
        "(?, 'install', ?, ?, ?, ?, ?, ?, ?)",
        " RETURNING id, installation_id",
        TOKEN_NAMES,
        count,
    )


REFRESH_NAMES = (
    "refresh_digest",
    "account_id",
    "app_id",
    "installation_id",
    "family",
    "token_id",
    "scopes",
    "now",
    "refresh_expires_at",
)


@functools.cache
def insert_refresh_tokens(count: int) -> Statement:
    """Store ``count`` refresh tokens of distinct installations; each one's id and
    installation."""
    return _rows(
        "INSERT INTO refresh_tokens (digest, account_id, app_id, installation_id, family,"
        " access_token_id, scopes, created_at, expires_at) VALUES ",
        "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        " RETURNING id, installation_id",
        REFRESH_NAMES,
        count,
    )


AUDIT_NAMES = ("now", "actor", "account_id", "app_id", "source_ip", "detail")


@functools.cache
def insert_audit(count: int) -> Statement:
    """Audit ``count`` issued tokens (``token.issued``), in order."""
    return _rows(
        "INSERT INTO audit_events (at, event, actor, account_id, app_id, source_ip, detail)"
        " VALUES ",
        "(?, 'token.issued', ?, ?, ?, ?, ?)",
        "",
        AUDIT_NAMES,
        count,
    )


@dataclass
class _Issue:
    """A redemption that passed every check, on its way to a token."""

    position: int
    unit: Redemption
    grant: CodeGrant
    params: dict[str, Any]
    token_id: int = 0
    replaced: list[tuple[int, str]] = field(default_factory=list)
    refresh_id: int | None = None

    @property
    def installation_id(self) -> int:
        return self.grant.installation_id


def redeem_together(tx: SqliteTransaction, units: Sequence[Redemption]) -> list[RedemptionResult]:
    """Each unit's :class:`RedemptionResult`, as if each had been redeemed alone, in order
    (the contract is :meth:`zentail.oauth.stores.AsyncGrantStore.redeem`)."""
    results: list[RedemptionResult | None] = [None] * len(units)
    consumed, refresh_live = _consume(tx, units)
    issues: list[_Issue] = []
    for position, unit in enumerate(units):
        row = consumed.get(position)
        if row is None:
            results[position] = _unconsumed(tx, unit.attempt)
            continue
        grant = redemption.code_grant(row, unit.attempt.app_id)
        refused = redemption.refusal(unit.attempt, grant)
        if refused is not None:
            results[position] = RedemptionResult(refused, grant)
        else:
            params = redemption.issue_params(unit.attempt, grant)
            issues.append(_Issue(position, unit, grant, params))
    for wave in _waves(issues):
        _issue(tx, wave, refresh_live)
    if issues:
        _audit(tx, issues)
    for issue in issues:
        replaced = tuple(digest for _, digest in issue.replaced)
        results[issue.position] = RedemptionResult(
            stores.REDEEMED, issue.grant, issue.token_id, replaced
        )
    return [result for result in results if result is not None]


def _consume(tx: SqliteTransaction, units: Sequence[Redemption]) -> tuple[dict[int, Row], set[int]]:
    """Consume every code named, each once: the row of each unit that consumed its code (the
    first to name it), and the installations with live refresh tokens."""
    first: dict[tuple[str, int], int] = {}
    for position, unit in enumerate(units):
        first.setdefault((unit.attempt.code_digest, unit.attempt.app_id), position)
    offered = [(d, a, units[p].attempt.now) for (d, a), p in first.items()]
    rows = tx.execute(consume(len(offered)), _values(CONSUME_NAMES, offered))
    consumed = {first[(row[0], row[1])]: row[2:11] for row in rows}
    refresh_live = {row[4] for row in rows if row[11]}
    return consumed, refresh_live


def _unconsumed(tx: SqliteTransaction, attempt: CodeRedemption) -> RedemptionResult:
    """A code this batch did not consume: unknown to this client, or consumed before."""
    key = {"code_digest": attempt.code_digest, "app_id": attempt.app_id}
    rows = tx.execute(redemption.CONSUMED_CODE, key)
    if not rows:
        return RedemptionResult(stores.UNKNOWN)
    return RedemptionResult(stores.REPLAYED, redemption.code_grant(rows[0], attempt.app_id))


def _waves(issues: list[_Issue]) -> list[list[_Issue]]:
    """``issues`` split so that no wave names an installation twice: the n-th redemption for
    an installation goes to wave n, so a later one replaces the token of an earlier one."""
    waves: list[list[_Issue]] = []
    seen: dict[int, int] = {}
    for issue in issues:
        number = seen[issue.installation_id] = seen.get(issue.installation_id, -1) + 1
        if number == len(waves):
            waves.append([])
        waves[number].append(issue)
    return waves


def _issue(tx: SqliteTransaction, wave: list[_Issue], refresh_live: set[int]) -> None:
    """Replace the live token of each installation of ``wave`` with the wave's new one."""
    offered = [(issue.installation_id, issue.params["now"]) for issue in wave]
    by_installation = {issue.installation_id: issue for issue in wave}
    for token_id, digest, installation_id in tx.execute(
        revoke_live("access_tokens", len(wave)), _values(OFFERED, offered)
    ):
        by_installation[installation_id].replaced.append((token_id, digest))
    ending = [(i, now) for i, now in offered if i in refresh_live]
    if ending:
        tx.execute(revoke_live("refresh_tokens", len(ending)), _values(OFFERED, ending))
    tokens = [[issue.params[name] for name in TOKEN_NAMES] for issue in wave]
    for token_id, installation_id in tx.execute(
        insert_tokens(len(wave)), _values(TOKEN_NAMES, tokens)
    ):
        by_installation[installation_id].token_id = token_id
    opted_in = [issue for issue in wave if issue.unit.attempt.refresh is not None]
    if opted_in:
        params = [{**issue.params, "token_id": issue.token_id} for issue in opted_in]
        rows = [[p[name] for name in REFRESH_NAMES] for p in params]
        for refresh_id, installation_id in tx.execute(
            insert_refresh_tokens(len(opted_in)), _values(REFRESH_NAMES, rows)
        ):
            by_installation[installation_id].refresh_id = refresh_id
            refresh_live.add(installation_id)


def _audit(tx: SqliteTransaction, issues: list[_Issue]) -> None:
    rows = []
    for issue in issues:
        detail: dict[str, Any] = {"token_id": issue.token_id, "kind": "install"}
        if issue.refresh_id is not None:
            detail["refresh_token_id"] = issue.refresh_id
        if issue.replaced:
            detail["replaced_token_ids"] = sorted(token_id for token_id, _ in issue.replaced)
        actor = issue.unit.actor
        grant = issue.grant
        rows.append(
            (
                issue.params["now"],
                actor.label,
                grant.account_id,
                grant.app_id,
                actor.source_ip,
                json.dumps(detail),
            )
        )
    tx.execute(insert_audit(len(rows)), _values(AUDIT_NAMES, rows))
