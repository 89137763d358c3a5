"""``POST /v1/token`` as a short list of named steps (RFC 6749 §3.2, §4.1.3, §5).

authenticated_form (see :mod:`zentail.oauth.endpoint`) → check grant_type
→ check the client may use it → authorization_code.exchange → token response
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
)
from zentail.oauth.errors import (
    InvalidRequest,
    OAuth2Error,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from zentail.oauth.grants import authorization_code
from zentail.oauth.stores import AuthorizationCodeStore, Client, ClientStore


def handle(
    request: OAuthHttpRequest,
    *,
    clients: ClientStore,
    codes: AuthorizationCodeStore,
    keyring: Keyring,
    now: Callable[[], dt.datetime],
    before_authentication: BeforeAuthentication | None = None,
) -> EndpointResult:
    """Process one token request; never raises for client input."""
    client: Client | None = None
    try:
        params, client = authenticated_form(request, clients, keyring, before_authentication)
        grant_type = params.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("Missing grant_type")
        if grant_type != authorization_code.GRANT_TYPE:
            raise UnsupportedGrantType("Only grant_type=authorization_code is supported")
        if not client.active:
            raise UnauthorizedClient("The application is suspended")
        issued = authorization_code.exchange(params, client, codes, keyring, now())
    except OAuth2Error as error:
        return error_result(error, client)
    body = {"access_token": issued.access_token, "token_type": "bearer"}
    return EndpointResult(200, body, client=client)
