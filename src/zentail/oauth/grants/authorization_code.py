"""The authorization code grant's token request (RFC 6749 §4.1.3).

Zentail's documented curl sends the code as ``authorization_code=`` rather than ``code=``;
both names are accepted, and sending both with different values is ``invalid_request``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from zentail.crypto import Keyring, new_access_token
from zentail.oauth.errors import InvalidGrant, InvalidRequest
from zentail.oauth.stores import AuthorizationCodeStore, Client, CodeGrant

GRANT_TYPE = "authorization_code"
CODE_PARAMETER_ALIASES = ("code", "authorization_code")


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


def exchange(
    params: Mapping[str, str],
    client: Client,
    store: AuthorizationCodeStore,
    keyring: Keyring,
    now: dt.datetime,
) -> IssuedToken:
    """Redeem a code for an access token.

    Steps: parse → consume atomically (a code issued to another client is not found) →
    on replay revoke what the code produced (RFC 6749 §4.1.2, RFC 6819 §5.2.1.1) → check
    expiry, installation and the exact redirect URI (§4.1.3) → issue the token. Every
    refusal is ``invalid_grant`` with no hint which check failed.
    """
    code = code_parameter(params)
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        raise InvalidRequest("Missing redirect_uri")
    redemption = store.consume_code(keyring.digest(code), client.app_id, now)
    grant = redemption.grant
    if grant is None:
        raise InvalidGrant("Invalid authorization code")
    if not redemption.first_use:
        store.revoke_tokens_issued_from(grant)
        raise InvalidGrant("Invalid authorization code")
    if grant.expires_at <= now or not grant.installed:
        raise InvalidGrant("Invalid authorization code")
    if redirect_uri != grant.redirect_uri:
        raise InvalidGrant("redirect_uri does not match the registered redirect URI")
    access_token = new_access_token()
    token_id = store.issue_token(grant, keyring.digest(access_token))
    return IssuedToken(access_token, token_id, grant)
