"""What every client-authenticated endpoint shares: the token endpoint (RFC 6749 §3.2),
revocation (RFC 7009 §2.1) and introspection (RFC 7662 §2.1).

    require_post → reject_query_parameters → require_form_body → parse_form
    → client_auth.extract → before_authentication hook → client_auth.authenticate

Framework-free: an endpoint takes an :class:`OAuthHttpRequest` and returns an
:class:`EndpointResult`; :mod:`zentail.api.oauth_endpoints` adapts both to Starlette.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from zentail.crypto import Keyring
from zentail.oauth import client_auth
from zentail.oauth.errors import NO_STORE_HEADERS, InvalidRequest, MethodNotAllowed, OAuth2Error
from zentail.oauth.stores import Client, ClientStore, TokenRecord, TokenStore

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
_NAMEABLE_PARAMETER = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")

BeforeAuthentication = Callable[[client_auth.PresentedCredentials], None]
"""Called with the presented credentials before they are checked; raising an
:class:`OAuth2Error` (e.g. ``SlowDown``) ends the request with that error."""


@dataclass(frozen=True)
class OAuthHttpRequest:
    """The parts of an HTTP request the endpoints look at."""

    method: str
    content_type: str | None
    query_string: bytes
    body: bytes
    authorization: str | None


@dataclass
class EndpointResult:
    """Status, JSON body and headers (always ``no-store``, RFC 6749 §5.1), plus what the
    adapter needs for throttling and logging: the authenticated client and the error."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=lambda: dict(NO_STORE_HEADERS))
    client: Client | None = None
    error: OAuth2Error | None = None


def error_result(error: OAuth2Error, client: Client | None) -> EndpointResult:
    return EndpointResult(error.status_code, error.body(), error.headers(), client, error)


def require_post(request: OAuthHttpRequest) -> None:
    """RFC 6749 §3.2: "The client MUST use the HTTP POST method"."""
    if request.method != "POST":
        raise MethodNotAllowed()


def reject_query_parameters(request: OAuthHttpRequest) -> None:
    """Credentials and grant parameters never travel in the URL (OAuth 2.1 §3.2)."""
    if request.query_string:
        raise InvalidRequest("Parameters must be sent in the form body, not the URL")


def require_form_body(request: OAuthHttpRequest) -> None:
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
            # Name the parameter only when that keeps error_description in RFC 6749's charset.
            shown = name if _NAMEABLE_PARAMETER.match(name) else "A parameter"
            raise InvalidRequest(f"{shown} is repeated")
        params[name] = value
    return {name: value for name, value in params.items() if value != ""}


def client_request(
    request: OAuthHttpRequest,
) -> tuple[dict[str, str], client_auth.PresentedCredentials]:
    """The shared first steps, before any storage is touched: return the form parameters
    and the presented client credentials, or raise the :class:`OAuth2Error` that answers."""
    require_post(request)
    reject_query_parameters(request)
    require_form_body(request)
    params = parse_form(request.body)
    return params, client_auth.extract(request.authorization, params)


def authenticated_form(
    request: OAuthHttpRequest,
    clients: ClientStore,
    keyring: Keyring,
    before_authentication: BeforeAuthentication | None,
) -> tuple[dict[str, str], Client]:
    """:func:`client_request`, then the client authenticated against ``clients``."""
    params, credentials = client_request(request)
    if before_authentication is not None:
        before_authentication(credentials)
    return params, client_auth.authenticate(clients, keyring, credentials)


def presented_token(
    params: dict[str, str], tokens: TokenStore, keyring: Keyring, now: dt.datetime
) -> TokenRecord | None:
    """The token named by the ``token`` parameter of a revocation (RFC 7009 §2.1) or
    introspection (RFC 7662 §2.1) request; ``None`` when no such token exists."""
    raw_token = params.get("token")
    if raw_token is None:
        raise InvalidRequest("Missing token")
    return tokens.find_token(keyring.digest(raw_token), now)
