"""The authorization endpoint's request and response, partner-initiated (RFC 6749 §4.1.1,
§4.1.2; RFC 7636 §4.3, §4.4; RFC 9207), free of web-framework code.

:func:`validate` checks a request in RFC 6749 §4.1.2.1's order: first whether the client is
known and the ``redirect_uri`` is exactly the registered one; until both hold nothing may be
sent to the URI, and :class:`UntrustedRedirect` says why (the adapter shows a page). Every
later error is a :class:`RedirectedError`, answered by a redirect to the registered URI with
``error``, ``error_description``, ``state`` and ``iss``. PKCE with ``S256`` is required
(RFC 9700 §2.1.1). The consent form posts the same parameters back and is validated again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from zentail.oauth import pkce
from zentail.oauth.errors import (
    InvalidRequest,
    InvalidScope,
    OAuth2Error,
    UnauthorizedClient,
    UnsupportedResponseType,
)

RESPONSE_TYPE = "code"
PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


@dataclass(frozen=True)
class RegisteredClient:
    """What the endpoint needs to know of a registered client (RFC 6749 §2)."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class AuthorizationRequest:
    """A valid request: the granted ``scopes`` are a subset of the client's registered ones
    (all of them when ``scope`` was omitted, RFC 6749 §3.3)."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str

    def parameters(self) -> dict[str, str]:
        """The request's parameters as the consent form posts them back."""
        params = {
            "response_type": RESPONSE_TYPE,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "code_challenge": self.code_challenge,
            "code_challenge_method": pkce.METHOD,
        }
        return params | ({"state": self.state} if self.state is not None else {})


class UntrustedRedirect(Exception):
    """The client is unknown or the redirect URI is not the registered one: do not redirect
    (RFC 6749 §4.1.2.1, RFC 9700 §4.1.1). ``message`` is for the resource owner."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RedirectedError(Exception):
    """An error for the client, sent to its verified ``redirect_uri`` (RFC 6749 §4.1.2.1)."""

    def __init__(self, error: OAuth2Error, redirect_uri: str, state: str | None) -> None:
        super().__init__(error.description or error.error)
        self.error = error
        self.redirect_uri = redirect_uri
        self.state = state

    def location(self, issuer: str) -> str:
        return response_location(
            self.redirect_uri,
            {**self.error.body(), "state": self.state, "iss": issuer},
        )


def response_location(redirect_uri: str, params: Mapping[str, str | None]) -> str:
    """``redirect_uri`` with ``params`` (those not ``None``) added to its query, which it
    keeps as registered (RFC 6749 §3.1.2)."""
    query = urlencode({name: value for name, value in params.items() if value is not None})
    return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"


def success_location(request: AuthorizationRequest, code: str, issuer: str) -> str:
    """The authorization response: ``code``, ``state`` if sent (RFC 6749 §4.1.2) and ``iss``
    (RFC 9207 §2)."""
    return response_location(
        request.redirect_uri, {"code": code, "state": request.state, "iss": issuer}
    )


def single_values(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
    """The endpoint's parameters with their values, and the names sent more than once
    (RFC 6749 §3.1: none may be). Empty values are absent; other names are ignored."""
    values: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in pairs:
        if name not in PARAMETERS or value == "":
            continue
        if name in values:
            repeated.add(name)
        values[name] = value
    return values, repeated


def client_id_of(pairs: Iterable[tuple[str, str]]) -> str:
    """The one ``client_id`` the request names, or :class:`UntrustedRedirect`."""
    values, repeated = single_values(pairs)
    client_id = values.get("client_id")
    if client_id is None or "client_id" in repeated:
        raise UntrustedRedirect("The request does not name one application (client_id).")
    return client_id


def validate(
    pairs: Iterable[tuple[str, str]], client: RegisteredClient | None
) -> AuthorizationRequest:
    """Check an authorization request against ``client`` (``None``: unknown client)."""
    values, repeated = single_values(pairs)
    client = _trusted(values, repeated, client)
    state = None if "state" in repeated else values.get("state")
    try:
        _check_request(values, repeated, client)
        scopes = granted_scopes(values.get("scope"), client.scopes)
        challenge = code_challenge(values)
    except OAuth2Error as error:
        raise RedirectedError(error, client.redirect_uri, state) from None
    return AuthorizationRequest(client.client_id, client.redirect_uri, scopes, state, challenge)


def _trusted(
    values: Mapping[str, str], repeated: set[str], client: RegisteredClient | None
) -> RegisteredClient:
    """``client``, once it is the one named and the redirect URI is exactly its own."""
    if client is None or "client_id" in repeated or values.get("client_id") != client.client_id:
        raise UntrustedRedirect("There is no such application (client_id).")
    if "redirect_uri" in repeated or values.get("redirect_uri") != client.redirect_uri:
        raise UntrustedRedirect(
            "The redirect_uri is missing or is not the one registered for this application."
        )
    return client


def _check_request(values: Mapping[str, str], repeated: set[str], client: RegisteredClient) -> None:
    if repeated:
        raise InvalidRequest(f"Repeated parameter {sorted(repeated)[0]}")
    response_type = values.get("response_type")
    if response_type is None:
        raise InvalidRequest("Missing response_type")
    if response_type != RESPONSE_TYPE:
        raise UnsupportedResponseType("Only response_type=code is supported")
    if not client.active:
        raise UnauthorizedClient("The application is suspended")


def granted_scopes(requested: str | None, registered: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 6749 §3.3: the space-delimited ``requested`` scopes, in registered order, or all
    ``registered`` ones when omitted; ``invalid_scope`` for any scope not registered."""
    if requested is None:
        return registered
    names = set(requested.split(" ")) - {""}
    if not names or not names <= set(registered):
        raise InvalidScope("The requested scope is unknown or beyond the registered scopes")
    return tuple(scope for scope in registered if scope in names)


def code_challenge(values: Mapping[str, str]) -> str:
    """RFC 7636 §4.3: an ``S256`` ``code_challenge`` is required; ``plain`` (the default
    when the method is omitted, §4.3) is refused (RFC 9700 §2.1.1)."""
    challenge = values.get("code_challenge")
    if challenge is None:
        raise InvalidRequest("code_challenge is required (PKCE with S256)")
    if values.get("code_challenge_method") != pkce.METHOD:
        raise InvalidRequest("code_challenge_method must be S256")
    if not pkce.is_s256_challenge(challenge):
        raise InvalidRequest("code_challenge is not an S256 challenge")
    return challenge
