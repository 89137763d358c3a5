"""``POST /v1/token`` as a short list of named steps (RFC 6749 §3.2, §4.1.3, §5).

client_request (see :mod:`zentail.oauth.endpoint`) → before_authentication (the throttle)
→ authenticate the client → check grant_type → check the client may use it
→ authorization_code.exchange → token response
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from zentail.crypto import Keyring
from zentail.oauth import client_auth
from zentail.oauth.endpoint import EndpointResult, OAuthHttpRequest, client_request, error_result
from zentail.oauth.errors import (
    InvalidClient,
    InvalidRequest,
    OAuth2Error,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from zentail.oauth.grants import authorization_code
from zentail.oauth.stores import AsyncGrantStore, Client

AsyncBeforeAuthentication = Callable[[client_auth.PresentedCredentials], Awaitable[None]]
"""Awaited with the presented credentials before they are checked; raising an
:class:`OAuth2Error` (e.g. ``SlowDown``) ends the request with that error."""


async def authenticate_client(
    store: AsyncGrantStore, keyring: Keyring, credentials: client_auth.PresentedCredentials
) -> Client:
    """RFC 6749 §2.3.1: the client whose valid secret matches, or ``invalid_client``."""
    client = await store.find_client(credentials.client_id)
    reason = client_auth.failure(client, keyring, credentials)
    if reason is not None or client is None:
        await store.record_auth_failure(credentials.client_id, reason or "unknown client")
        raise InvalidClient()
    return client


async def handle(
    request: OAuthHttpRequest,
    *,
    store: AsyncGrantStore,
    keyring: Keyring,
    now: Callable[[], dt.datetime],
    before_authentication: AsyncBeforeAuthentication | None = None,
) -> EndpointResult:
    """Process one token request; never raises for client input."""
    client: Client | None = None
    try:
        params, credentials = client_request(request)
        if before_authentication is not None:
            await before_authentication(credentials)
        client = await authenticate_client(store, keyring, credentials)
        grant_type = params.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("Missing grant_type")
        if grant_type != authorization_code.GRANT_TYPE:
            raise UnsupportedGrantType("Only grant_type=authorization_code is supported")
        if not client.active:
            raise UnauthorizedClient("The application is suspended")
        issued = await authorization_code.exchange(params, client, store, keyring, now())
    except OAuth2Error as error:
        return error_result(error, client)
    body = {"access_token": issued.access_token, "token_type": "bearer"}
    return EndpointResult(200, body, client=client)
