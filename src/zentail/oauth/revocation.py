"""``POST /v1/revoke``: token revocation (RFC 7009).

The client authenticates exactly as at the token endpoint (RFC 7009 §2.1). It may revoke only
tokens issued to it; for any other token, an unknown one, or one already revoked, the answer
is the same 200 (RFC 7009 §2.2: "invalid tokens do not cause an error response"), so the
endpoint reveals nothing about tokens the caller does not own. ``token_type_hint``
(``access_token`` or ``refresh_token``) is accepted and ignored: both kinds are looked up
(§2.1 allows ignoring it). Revoking a refresh token also revokes the access tokens of the
same grant (§2.1: every token of its family, docs/decisions/0065).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from zentail.crypto import Keyring
from zentail.oauth.endpoint import (
    BeforeAuthentication,
    EndpointResult,
    OAuthHttpRequest,
    authenticated_form,
    error_result,
    presented_token,
)
from zentail.oauth.errors import OAuth2Error
from zentail.oauth.stores import Client, ClientStore, TokenStore


def handle(
    request: OAuthHttpRequest,
    *,
    clients: ClientStore,
    tokens: TokenStore,
    keyring: Keyring,
    now: Callable[[], dt.datetime],
    before_authentication: BeforeAuthentication | None = None,
) -> EndpointResult:
    """Process one revocation request; never raises for client input."""
    client: Client | None = None
    try:
        params, client = authenticated_form(request, clients, keyring, before_authentication)
        record = presented_token(params, tokens, keyring, now())
        if record is not None and record.app_id == client.app_id and not record.revoked:
            tokens.revoke_token(record, reason="revoked by the client (RFC 7009)")
    except OAuth2Error as error:
        return error_result(error, client)
    return EndpointResult(200, {}, client=client)
