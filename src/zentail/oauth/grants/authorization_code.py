"""The authorization code grant's token request (RFC 6749 §4.1.3).

Zentail's documented curl sends the code as ``authorization_code=`` rather than ``code=``;
both names are accepted, and sending both with different values is ``invalid_request``.

A code from a partner-initiated request (``/v1/authorize``) carries an S256 challenge and
needs its ``code_verifier`` (RFC 7636 §4.5); a code from the Install button has none and is
redeemed, as documented, without one (:mod:`zentail.oauth.pkce`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from zentail.crypto import Keyring
from zentail.oauth import diagnostics, stores
from zentail.oauth.errors import InvalidGrant, InvalidRequest
from zentail.oauth.grants.issuance import NewTokens, new_tokens
from zentail.oauth.stores import AsyncGrantStore, Client, CodeGrant, CodeRedemption

GRANT_TYPE = "authorization_code"
CODE_PARAMETER_ALIASES = ("code", "authorization_code")
VERIFIER_MISMATCH_DESCRIPTION = (
    "code_verifier is missing or does not match the code_challenge, "
    "or was sent for a code issued without one"
)


@dataclass(frozen=True)
class IssuedToken:
    tokens: NewTokens
    token_id: int
    grant: CodeGrant


def code_parameter(params: Mapping[str, str]) -> str:
    values = {params[name] for name in CODE_PARAMETER_ALIASES if name in params}
    if not values:
        raise InvalidRequest("Missing code")
    if len(values) > 1:
        raise InvalidRequest("code and authorization_code disagree")
    return values.pop()


async def exchange(
    params: Mapping[str, str],
    client: Client,
    store: AsyncGrantStore,
    keyring: Keyring,
    now: dt.datetime,
) -> IssuedToken:
    """Redeem a code for an access token.

    Steps: parse → redeem atomically (consume the code, then, if it is unexpired, its
    installation live and the redirect URI the exact one it was issued for, issue the token;
    a code issued to another client is not found) → on replay revoke what the code produced
    (RFC 6749 §4.1.2, RFC 6819 §5.2.1.1). Every refusal is ``invalid_grant`` with no hint
    which check failed, but for the redirect URI (§4.1.3 names it) and the PKCE verifier
    (RFC 7636 §4.6), checked last, once the code is consumed: a wrong, missing or unexpected
    ``code_verifier`` burns the code (docs/decisions/0063). The reason goes to the client's
    owner only (:mod:`zentail.oauth.diagnostics`). An app with a token lifetime also gets
    the first refresh token of a new family (:mod:`zentail.oauth.grants.issuance`).
    """
    code = code_parameter(params)
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        raise InvalidRequest("Missing redirect_uri")
    tokens, code_digest = new_tokens(client, keyring, now), keyring.digest(code)
    result = await store.redeem(
        CodeRedemption(
            code_digest,
            client.app_id,
            redirect_uri,
            tokens.access_digest,
            now,
            params.get("code_verifier"),
            tokens.access_expires_at,
            tokens.refresh,
        )
    )
    grant = result.grant
    if result.outcome == stores.REDEEMED and grant is not None and result.token_id is not None:
        return IssuedToken(tokens, result.token_id, grant)
    if result.outcome == stores.REPLAYED and grant is not None:
        revoked = await store.revoke_tokens_issued_from(grant)
        if not grant.installed:  # uninstalling consumes the installation's open codes
            raise InvalidGrant("Invalid authorization code").because(diagnostics.APP_UNINSTALLED)
        raise InvalidGrant("Invalid authorization code").because(
            diagnostics.CODE_REUSED,
            first_redeemed_at=diagnostics.instant(grant.consumed_at),
            tokens_revoked=revoked,
        )
    if result.outcome == stores.REDIRECT_MISMATCH and grant is not None:
        raise InvalidGrant("redirect_uri does not match the registered redirect URI").because(
            diagnostics.REDIRECT_URI_MISMATCH, sent=redirect_uri, registered=grant.redirect_uri
        )
    if result.outcome == stores.VERIFIER_MISMATCH:
        raise InvalidGrant(VERIFIER_MISMATCH_DESCRIPTION).because(
            diagnostics.CODE_VERIFIER_MISMATCH,
            code_has_challenge=grant is not None and grant.code_challenge is not None,
            code_verifier_sent="code_verifier" in params,
        )
    raise await _refusal(result, code_digest, client, store, now)


async def _refusal(
    result: stores.RedemptionResult,
    code_digest: str,
    client: Client,
    store: AsyncGrantStore,
    now: dt.datetime,
) -> InvalidGrant:
    """The ``invalid_grant`` for an expired, orphaned or unknown code, with its reason."""
    error = InvalidGrant("Invalid authorization code")
    grant = result.grant
    if result.outcome == stores.EXPIRED and grant is not None:
        age = int((now - grant.issued_at).total_seconds()) if grant.issued_at else None
        return error.because(
            diagnostics.CODE_EXPIRED,
            age_seconds=age,
            expired_at=diagnostics.instant(grant.expires_at),
        )
    if result.outcome == stores.UNINSTALLED:
        return error.because(diagnostics.APP_UNINSTALLED)
    if await store.code_issued_to_another_client(code_digest, client.app_id):
        return error.because(diagnostics.CODE_FOR_ANOTHER_CLIENT)
    return error.because(diagnostics.CODE_UNKNOWN)
