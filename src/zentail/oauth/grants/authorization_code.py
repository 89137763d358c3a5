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

from zentail.crypto import Keyring, new_access_token
from zentail.oauth import stores
from zentail.oauth.errors import InvalidGrant, InvalidRequest
from zentail.oauth.stores import AsyncGrantStore, Client, CodeGrant, CodeRedemption

GRANT_TYPE = "authorization_code"
CODE_PARAMETER_ALIASES = ("code", "authorization_code")
VERIFIER_MISMATCH_DESCRIPTION = (
    "code_verifier is missing or does not match the code_challenge, "
    "or was sent for a code issued without one"
)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
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
    ``code_verifier`` burns the code (docs/decisions/0063).
    """
    code = code_parameter(params)
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        raise InvalidRequest("Missing redirect_uri")
    access_token = new_access_token()
    result = await store.redeem(
        CodeRedemption(
            keyring.digest(code),
            client.app_id,
            redirect_uri,
            keyring.digest(access_token),
            now,
            params.get("code_verifier"),
        )
    )
    if result.outcome == stores.REPLAYED and result.grant is not None:
        await store.revoke_tokens_issued_from(result.grant)
    if result.outcome == stores.REDIRECT_MISMATCH:
        raise InvalidGrant("redirect_uri does not match the registered redirect URI")
    if result.outcome == stores.VERIFIER_MISMATCH:
        raise InvalidGrant(VERIFIER_MISMATCH_DESCRIPTION)
    if result.outcome != stores.REDEEMED or result.grant is None or result.token_id is None:
        raise InvalidGrant("Invalid authorization code")
    return IssuedToken(access_token, result.token_id, result.grant)
