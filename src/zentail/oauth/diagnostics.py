"""Token requests that explain themselves, to their client's owner only.

The token endpoint answers every refusal as RFC 6749 §5.2 says, and no more: an attacker
learns nothing from it. What the owner of the client needs to fix their integration is kept
aside: each refused request that names an existing client is recorded with one of the
stable reasons below and a small detail (never a code, secret or token), and the owner reads
them with the client's own credentials (``GET /v1/diagnostics/token``, :func:`read`).

==================================== ===============================================================
reason                               meaning (detail)
==================================== ===============================================================
``redirect_uri_mismatch``            ``redirect_uri`` differs from the one the code was issued for
                                     (``sent``, ``registered``)
``code_expired``                     the code is past its lifetime (``age_seconds``, ``expired_at``)
``code_reused``                      the code was redeemed before; its tokens are now revoked
                                     (``first_redeemed_at``, ``tokens_revoked``)
``code_unknown``                     no such code
``code_for_another_client``          the code exists but was issued to another client
``app_uninstalled``                  the account uninstalled the app after the code was issued
``code_verifier_mismatch``           PKCE: the ``code_verifier`` is wrong, missing, or sent for a
                                     code issued without a challenge; the code is now used up
                                     (``code_has_challenge``, ``code_verifier_sent``)
``refresh_token_reused``             the refresh token was redeemed before and its successor has
                                     been used since: every token of its family is now revoked
                                     (``tokens_revoked``)
``refresh_token_revoked``            the refresh token was revoked (by the client, a reuse, or a
                                     new code exchange); its family is revoked (``tokens_revoked``)
``refresh_token_concurrent``         the refresh token was redeemed moments ago by another request
                                     whose tokens are unused yet: nothing revoked
                                     (``redeemed_seconds_ago``)
``refresh_token_expired``            the refresh token was not redeemed within its lifetime
                                     (``expired_at``)
``refresh_token_unknown``            no such refresh token
``refresh_token_for_another_client`` the refresh token was issued to another client
``invalid_secret``                   the client secret is wrong (``method``)
``secret_expired``                   an old secret, past its rotation's grace period (``method``)
``secret_not_accepted``              a right secret, but the app accepts signed assertions only
                                     (``method``)
``assertion_invalid``                ``private_key_jwt``: the assertion is malformed, its signature
                                     does not verify, or a claim is wrong (``iss``/``sub``,
                                     ``aud``, ``exp`` too far ahead, ``nbf``/``iat`` in the
                                     future, no ``jti``)
``assertion_expired``                the assertion's ``exp`` has passed
``assertion_replayed``               the assertion's ``jti`` was used before
``unknown_kid``                      no registered key has the assertion's ``kid`` (and type)
``no_keys_registered``               the app has no usable public keys (none registered, or its
                                     ``jwks_uri`` could not be fetched)
``app_suspended``                    the app is suspended
``unsupported_grant_type``           ``grant_type`` is not one this server supports (``grant_type``)
``malformed_request``                the request is not a valid token request (``description``)
==================================== ===============================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl

from zentail.crypto import Keyring
from zentail.oauth import client_assertion, client_auth
from zentail.oauth.endpoint import EndpointResult, OAuthHttpRequest, client_request, error_result
from zentail.oauth.errors import (
    InvalidRequest,
    MethodNotAllowed,
    OAuth2Error,
    UnsupportedGrantType,
)
from zentail.oauth.stores import Client, TokenFailure

REDIRECT_URI_MISMATCH = "redirect_uri_mismatch"
CODE_EXPIRED = "code_expired"
CODE_REUSED = "code_reused"
CODE_UNKNOWN = "code_unknown"
CODE_FOR_ANOTHER_CLIENT = "code_for_another_client"
APP_UNINSTALLED = "app_uninstalled"
CODE_VERIFIER_MISMATCH = "code_verifier_mismatch"
REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105 - a reason
REFRESH_TOKEN_REVOKED = "refresh_token_revoked"  # noqa: S105 - a reason
REFRESH_TOKEN_CONCURRENT = "refresh_token_concurrent"  # noqa: S105 - a reason
REFRESH_TOKEN_EXPIRED = "refresh_token_expired"  # noqa: S105 - a reason
REFRESH_TOKEN_UNKNOWN = "refresh_token_unknown"  # noqa: S105 - a reason
REFRESH_TOKEN_FOR_ANOTHER_CLIENT = "refresh_token_for_another_client"  # noqa: S105 - a reason
INVALID_SECRET = client_auth.INVALID_SECRET
SECRET_EXPIRED = client_auth.SECRET_EXPIRED
SECRET_NOT_ACCEPTED = client_auth.SECRETS_NOT_ACCEPTED
ASSERTION_INVALID = client_assertion.ASSERTION_INVALID
ASSERTION_EXPIRED = client_assertion.ASSERTION_EXPIRED
ASSERTION_REPLAYED = client_assertion.ASSERTION_REPLAYED
UNKNOWN_KID = client_assertion.UNKNOWN_KID
NO_KEYS_REGISTERED = client_assertion.NO_KEYS
APP_SUSPENDED = "app_suspended"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
MALFORMED_REQUEST = "malformed_request"

PATH = "/v1/diagnostics/token"
METHODS = ("GET", "POST")
RETENTION = dt.timedelta(days=7)
MAX_RESULTS = 100
# A detail string (a redirect URI the client sent, a description) is cut to this length.
MAX_DETAIL_CHARS = 300


def failure_of(error: OAuth2Error, now: dt.datetime) -> TokenFailure:
    """What to keep of ``error``: its code, its reason (the one the raising step attached
    with :meth:`OAuth2Error.because`, else one derived from its class) and the detail, with
    every string bounded."""
    reason = error.reason or _reason_of(error)
    detail = dict(error.detail)
    if reason == MALFORMED_REQUEST and error.description and "description" not in detail:
        detail["description"] = error.description
    if reason == UNSUPPORTED_GRANT_TYPE and "description" not in detail and error.description:
        detail["description"] = error.description
    bounded = {k: v[:MAX_DETAIL_CHARS] if isinstance(v, str) else v for k, v in detail.items()}
    return TokenFailure(error.error, reason, bounded, now)


def _reason_of(error: OAuth2Error) -> str:
    if isinstance(error, UnsupportedGrantType):
        return UNSUPPORTED_GRANT_TYPE
    return MALFORMED_REQUEST


def presented_client_id(request: OAuthHttpRequest) -> str | None:
    """The client a request names, read as leniently as possible (for a request so malformed
    that :func:`zentail.oauth.endpoint.client_request` refused it before naming one)."""
    named: str | None = None
    if request.authorization:
        try:
            named = client_auth.parse_basic(request.authorization)[0]
        except OAuth2Error:
            return None
    else:
        pairs = parse_qsl(request.body.decode("utf-8", "replace"))
        named = next((value for name, value in pairs if name == "client_id"), None)
        assertion = next((value for name, value in pairs if name == "client_assertion"), None)
        if named is None and assertion is not None:
            named = client_assertion.subject(assertion)
    return named if named is not None and client_auth.plausible_client_id(named) else None


# --- reading them: GET /v1/diagnostics/token ---------------------------------------------


class DiagnosticsStore(client_auth.AsyncClientStore, Protocol):
    async def token_failures(self, app_id: int, now: dt.datetime) -> Sequence[TokenFailure]:
        """``app_id``'s failures of the :data:`RETENTION` before ``now``, newest first, at
        most :data:`MAX_RESULTS`."""
        ...


BeforeAuthentication = Callable[[client_auth.PresentedCredentials], Awaitable[None]]


async def read(
    request: OAuthHttpRequest,
    *,
    store: DiagnosticsStore,
    keyring: Keyring,
    now: Callable[[], dt.datetime],
    before_authentication: BeforeAuthentication | None = None,
) -> EndpointResult:
    """``GET /v1/diagnostics/token``: the authenticated client's own refused token requests of
    the last :data:`RETENTION`, newest first, at most :data:`MAX_RESULTS`.

    ``GET`` authenticates with ``client_secret_basic`` (RFC 6749 §2.3.1). ``POST`` takes a
    form body with any method of the token endpoint, a signed assertion included
    (``private_key_jwt``, RFC 7523 §2.2): credentials never travel in the URL, and a GET has
    no body (docs/decisions/0066). Both sit behind the same throttle; anything else is
    ``invalid_client``. Never raises for client input.
    """
    client: Client | None = None
    try:
        credentials = _presented(request)
        if before_authentication is not None:
            await before_authentication(credentials)
        client = await client_auth.verified(
            store, keyring, credentials, await store.find_client(credentials.client_id)
        )
        failures = await store.token_failures(client.app_id, now())
    except OAuth2Error as error:
        return error_result(error, client)
    return EndpointResult(200, {"results": [entry(f) for f in failures]}, client=client)


def _presented(request: OAuthHttpRequest) -> client_auth.PresentedCredentials:
    if request.method not in METHODS:
        raise MethodNotAllowed(", ".join(METHODS))
    if request.query_string:
        raise InvalidRequest("This endpoint takes no parameters")
    if request.method == "GET":
        return client_auth.extract(request.authorization, {})
    return client_request(request)[1]


def instant(value: dt.datetime | None) -> str | None:
    """An instant as the diagnostics show it: UTC, milliseconds, ``Z``."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def entry(failure: TokenFailure) -> dict[str, Any]:
    """One failure as the diagnostics endpoint, the CLI's ``--json`` and the console show it."""
    return {
        "at": instant(failure.at),
        "error": failure.error,
        "reason": failure.reason,
        "detail": failure.detail,
        "sourceIp": failure.source_ip,
    }
