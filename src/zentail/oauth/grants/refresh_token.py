"""The refresh token grant (RFC 6749 §6), with rotation and reuse detection (RFC 9700
§4.14.2), for apps that opted in to expiring tokens (docs/decisions/0065).

Each refresh answers a new access token and a new refresh token. The presented token is
then *rotated*: it stays usable while neither of its successors has been used (the response
may have been lost on its way to the client), and is dead from their first use. Presenting a
dead token is reuse: the whole family (every token descended from the code exchange) is
revoked, and the reuse is audited.

A second presentation within :data:`RACE_SECONDS` of the rotation, while the successors are
unused, is a concurrent duplicate (a client racing itself, or the second of two parallel
workers): ``invalid_grant``, nothing revoked, so the winner's tokens keep working.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from zentail.crypto import Keyring
from zentail.oauth import diagnostics
from zentail.oauth.errors import InvalidGrant, InvalidRequest, InvalidScope
from zentail.oauth.grants.issuance import NewTokens, new_tokens
from zentail.oauth.stores import AsyncGrantStore, Client, RefreshAttempt, RefreshState

GRANT_TYPE = "refresh_token"
RACE_SECONDS = 10

# Verdicts (RefreshResult.outcome)
ROTATE = "rotate"  # first redemption: issue the next pair
GRACE = "grace"  # redeemed before, successors unused: issue again, ending the earlier pair
RACE = "race"  # redeemed moments ago, successors unused: a concurrent duplicate
REUSED = "reused"  # redeemed before and its successor used since: revoke the family
REVOKED = "revoked"  # revoked (by the client, a reuse, a new exchange): revoke the family
EXPIRED = "expired"
UNINSTALLED = "uninstalled"
UNKNOWN = "unknown"
OTHER_CLIENT = "other_client"
ISSUING = frozenset({ROTATE, GRACE})
REDEEMABLE = frozenset({ROTATE, GRACE, RACE})  # active, as introspection sees it
# The new refresh token joins the presented one's family, which only the store reads.
FAMILY_OF_PRESENTED = "="
FAMILY_ENDING = frozenset({REUSED, REVOKED})


@dataclass(frozen=True)
class Refreshed:
    tokens: NewTokens
    token_id: int


def verdict(state: RefreshState, now: dt.datetime) -> str:
    """What to do with a presented refresh token (the order of the checks is the contract:
    an uninstalled app's tokens are ``uninstalled`` even though they are revoked)."""
    if not state.installed:
        return UNINSTALLED
    if state.revoked:
        return REVOKED
    if state.expires_at <= now:
        return EXPIRED
    if state.rotated_at is None:
        return ROTATE
    if state.successor_used:
        return REUSED
    if (now - state.rotated_at).total_seconds() < RACE_SECONDS:
        return RACE
    return GRACE


def requested_scopes(params: Mapping[str, str]) -> frozenset[str] | None:
    """The ``scope`` parameter (RFC 6749 §6, §3.3), or ``None`` when absent."""
    scope = params.get("scope")
    if scope is None:
        return None
    scopes = frozenset(scope.split())
    if not scopes:
        raise InvalidScope("scope is empty")
    return scopes


async def refresh(
    params: Mapping[str, str],
    client: Client,
    store: AsyncGrantStore,
    keyring: Keyring,
    now: dt.datetime,
) -> Refreshed:
    """Redeem a refresh token issued to ``client`` for a new pair, atomically; a token of
    another client, unknown, expired, revoked, reused or raced is ``invalid_grant`` (RFC
    6749 §5.2), with its reason for the client's owner only. A ``scope`` wider than the
    grant's is ``invalid_scope``; a narrower one narrows the new access token only."""
    presented = params.get("refresh_token")
    if presented is None:
        raise InvalidRequest("Missing refresh_token")
    tokens = new_tokens(client, keyring, now, family=FAMILY_OF_PRESENTED)
    scopes = requested_scopes(params)
    attempt = RefreshAttempt(
        keyring.digest(presented),
        client.app_id,
        tokens.access_digest,
        tokens.refresh,
        tokens.access_expires_at,
        now,
        scopes,
    )

    def judge(state: RefreshState) -> str:
        if scopes is not None and not scopes <= frozenset(state.scopes.split()):
            raise InvalidScope("scope exceeds the scope originally granted")
        return verdict(state, now)

    result = await store.refresh(attempt, judge)
    if result.outcome in ISSUING and result.token_id is not None:
        return Refreshed(tokens, result.token_id)
    raise _refusal(result.outcome, result.state, result.revoked, now)


def _refusal(
    outcome: str, state: RefreshState | None, revoked: int, now: dt.datetime
) -> InvalidGrant:
    error = InvalidGrant("Invalid refresh token")
    if outcome == REUSED:
        return error.because(diagnostics.REFRESH_TOKEN_REUSED, tokens_revoked=revoked)
    if outcome == REVOKED:
        return error.because(diagnostics.REFRESH_TOKEN_REVOKED, tokens_revoked=revoked)
    if outcome == RACE and state is not None and state.rotated_at is not None:
        age = int((now - state.rotated_at).total_seconds())
        return error.because(diagnostics.REFRESH_TOKEN_CONCURRENT, redeemed_seconds_ago=age)
    if outcome == EXPIRED and state is not None:
        return error.because(
            diagnostics.REFRESH_TOKEN_EXPIRED, expired_at=diagnostics.instant(state.expires_at)
        )
    if outcome == UNINSTALLED:
        return error.because(diagnostics.APP_UNINSTALLED)
    if outcome == OTHER_CLIENT:
        return error.because(diagnostics.REFRESH_TOKEN_FOR_ANOTHER_CLIENT)
    return error.because(diagnostics.REFRESH_TOKEN_UNKNOWN)
