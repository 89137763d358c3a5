"""``POST /v1/introspect``: token introspection (RFC 7662).

Introspection requires client authentication (RFC 7662 §2.1: the endpoint "MUST also require
some form of authorization"), the same as the token endpoint. A client learns about its own
tokens only: an unknown, revoked, expired or suspended-app token, or another client's token,
is answered ``{"active": false}`` and nothing else (§2.2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

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
from zentail.oauth.stores import Client, ClientStore, TokenRecord, TokenStore

INACTIVE: dict[str, Any] = {"active": False}
REFRESH_TOKEN = "refresh_token"  # noqa: S105 - a token type


def describe(record: TokenRecord, client: Client) -> dict[str, Any]:
    """The RFC 7662 §2.2 members of an active token. ``sub`` is the account the token acts
    for (the resource owner); ``account_id`` is the same, as a number. ``token_type`` is
    ``bearer`` for an access token, ``refresh_token`` for a refresh token; ``exp`` is given
    for a token that expires."""
    body: dict[str, Any] = {
        "active": True,
        "scope": record.scopes,
        "client_id": client.client_id,
        "token_type": "refresh_token" if record.token_type == REFRESH_TOKEN else "bearer",
        "iat": int(record.issued_at.timestamp()),
        "sub": str(record.account_id),
        "account_id": record.account_id,
    }
    if record.expires_at is not None:
        body["exp"] = int(record.expires_at.timestamp())
    return body


def handle(
    request: OAuthHttpRequest,
    *,
    clients: ClientStore,
    tokens: TokenStore,
    keyring: Keyring,
    now: Callable[[], dt.datetime],
    before_authentication: BeforeAuthentication | None = None,
) -> EndpointResult:
    """Process one introspection request; never raises for client input."""
    client: Client | None = None
    try:
        params, client = authenticated_form(request, clients, keyring, before_authentication)
        record = presented_token(params, tokens, keyring, now())
    except OAuth2Error as error:
        return error_result(error, client)
    if record is None or not record.active or record.app_id != client.app_id:
        return EndpointResult(200, dict(INACTIVE), client=client)
    return EndpointResult(200, describe(record, client), client=client)
