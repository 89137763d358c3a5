"""``POST /v1/token`` as a short list of named steps (RFC 6749 §3.2, §4.1.3, §5).

client_request (see :mod:`zentail.oauth.endpoint`) → before_authentication (the throttle)
→ authenticate the client → check grant_type → check the client may use it
→ the grant's handler (authorization_code.exchange, RFC 6749 §4.1.3; refresh_token.refresh,
§6) → token response (:func:`zentail.oauth.grants.issuance.response_body`)

A refusal is answered as RFC 6749 §5.2 says and nothing more; when the request named a
client, the refusal is also kept, with its reason, for that client's owner
(:mod:`zentail.oauth.diagnostics`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from zentail.crypto import Keyring
from zentail.oauth import client_auth, diagnostics
from zentail.oauth.endpoint import EndpointResult, OAuthHttpRequest, client_request, error_result
from zentail.oauth.errors import (
    InvalidRequest,
    OAuth2Error,
    SlowDown,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from zentail.oauth.grants import authorization_code, refresh_token
from zentail.oauth.grants.issuance import NewTokens, response_body
from zentail.oauth.stores import AsyncGrantStore, Client


class Issued(Protocol):
    """What a grant's handler returns: the tokens to answer with."""

    @property
    def tokens(self) -> NewTokens: ...


Grant = Callable[
    [Mapping[str, str], Client, AsyncGrantStore, Keyring, dt.datetime], Awaitable[Issued]
]
GRANTS: dict[str, Grant] = {
    authorization_code.GRANT_TYPE: authorization_code.exchange,
    refresh_token.GRANT_TYPE: refresh_token.refresh,
}

AsyncBeforeAuthentication = Callable[[client_auth.PresentedCredentials], Awaitable[None]]
"""Awaited with the presented credentials before they are checked; raising an
:class:`OAuth2Error` (e.g. ``SlowDown``) ends the request with that error."""


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
    client_id: str | None = None
    try:
        params, credentials = client_request(request)
        client_id = credentials.client_id
        if before_authentication is not None:
            await before_authentication(credentials)
        client = await client_auth.verified(
            store, keyring, credentials, await store.find_client(client_id)
        )
        grant_type = params.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("Missing grant_type")
        grant = GRANTS.get(grant_type)
        if grant is None:
            raise UnsupportedGrantType(
                "Only grant_type=authorization_code and refresh_token are supported"
            ).because(diagnostics.UNSUPPORTED_GRANT_TYPE, grant_type=grant_type)
        if not client.active:
            raise UnauthorizedClient("The application is suspended").because(
                diagnostics.APP_SUSPENDED
            )
        issued = await grant(params, client, store, keyring, now())
    except OAuth2Error as error:
        await _diagnose(request, error, client_id, store, now())
        return error_result(error, client)
    return EndpointResult(200, response_body(issued.tokens), client=client)


async def _diagnose(
    request: OAuthHttpRequest,
    error: OAuth2Error,
    client_id: str | None,
    store: AsyncGrantStore,
    now: dt.datetime,
) -> None:
    """Keep a refusal for the owner of the client it named, if any (a throttled request is
    refused before any work, and is not kept)."""
    if isinstance(error, SlowDown):
        return
    client_id = client_id or diagnostics.presented_client_id(request)
    if client_id:
        await store.record_token_failure(client_id, diagnostics.failure_of(error, now))
