"""``POST /v1/token`` as a short list of named steps (RFC 6749 §3.2, §4.1.3, §5).

    reject_query_parameters → require_form_body → parse_form → authenticate_client
    → dispatch_grant → token_response

Framework-free: :func:`handle` takes the pieces of an HTTP request and returns
``(status, body, headers)``; :mod:`zentail.oauth.routes` adapts it to Starlette.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from zentail.crypto import Keyring
from zentail.oauth import client_auth
from zentail.oauth.errors import (
    NO_STORE_HEADERS,
    InvalidRequest,
    OAuth2Error,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from zentail.oauth.grants import authorization_code
from zentail.oauth.stores import AuthorizationCodeStore, Client, ClientStore

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class TokenHttpRequest:
    method: str
    content_type: str | None
    query_string: bytes
    body: bytes
    authorization: str | None


@dataclass
class TokenResult:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=lambda: dict(NO_STORE_HEADERS))
    client: Client | None = None
    error: OAuth2Error | None = None


def reject_query_parameters(request: TokenHttpRequest) -> None:
    """Credentials and grant parameters never travel in the URL (OAuth 2.1 §3.2)."""
    if request.query_string:
        raise InvalidRequest("Parameters must be sent in the form body, not the URL")


def require_form_body(request: TokenHttpRequest) -> None:
    """RFC 6749 §4.1.3: ``application/x-www-form-urlencoded`` only."""
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type != FORM_CONTENT_TYPE:
        raise InvalidRequest(f"Content-Type must be {FORM_CONTENT_TYPE}")


def parse_form(body: bytes) -> dict[str, str]:
    """Parse the body; a repeated parameter is ``invalid_request`` and an empty value is the
    same as an absent one (RFC 6749 §3.2)."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise InvalidRequest("The body is not valid UTF-8") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise InvalidRequest(f"Parameter {name} is repeated")
        params[name] = value
    return {name: value for name, value in params.items() if value != ""}


def handle(
    request: TokenHttpRequest,
    *,
    clients: ClientStore,
    codes: AuthorizationCodeStore,
    keyring: Keyring,
    now: Callable[[], dt.datetime],
    before_authentication: Callable[[client_auth.PresentedCredentials], None] | None = None,
) -> TokenResult:
    """Process one token request; never raises for client input."""
    client: Client | None = None
    try:
        reject_query_parameters(request)
        require_form_body(request)
        params = parse_form(request.body)
        credentials = client_auth.extract(request.authorization, params)
        if before_authentication is not None:
            before_authentication(credentials)
        client = client_auth.authenticate(clients, keyring, credentials)
        grant_type = params.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("Missing grant_type")
        if grant_type != authorization_code.GRANT_TYPE:
            raise UnsupportedGrantType("Only grant_type=authorization_code is supported")
        if not client.active:
            raise UnauthorizedClient("The application is suspended")
        issued = authorization_code.exchange(params, client, codes, keyring, now())
    except OAuth2Error as error:
        return TokenResult(error.status_code, error.body(), error.headers(), client, error)
    body = {"access_token": issued.access_token, "token_type": "bearer"}
    return TokenResult(200, body, client=client)
