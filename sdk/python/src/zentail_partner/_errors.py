"""What can go wrong when a partner talks to the platform, as one exception tree::

    ZentailError                 base class: catch this to handle every failure below
    ├── InvalidCallback          the install callback is forged, stale, for another client,
    │                            or lacks a parameter (nothing was sent anywhere)
    ├── TokenExchangeError       POST /v1/token answered an RFC 6749 §5.2 error
    │   ├── InvalidGrant         the code is unknown, used, expired, or redirect_uri differs
    │   └── InvalidClient        the client ID or secret was rejected
    ├── ApiError                 the Open API answered an RFC 9457 problem document
    ├── RateLimited              HTTP 429, still after the bounded retries
    ├── TransportError           no HTTP answer at all: refused, timed out, TLS failure …
    └── UnexpectedResponse       an answer of a shape the platform never sends (e.g. an
                                 HTML page from a proxy, or a next-page URL on another host)

Every exception's message says what happened in one line; the attributes carry the parts.
No exception ever holds a client secret, a code or a token.
"""

from __future__ import annotations

from dataclasses import dataclass


class ZentailError(Exception):
    """Base class of every error this package raises."""


class InvalidCallback(ZentailError):
    """The install callback failed verification: do not exchange its code."""


class InvalidWebhook(ZentailError):
    """A webhook request failed verification (signature, timestamp or body): answer it with
    a 4xx and do not act on it."""


class TokenExchangeError(ZentailError):
    """``POST /v1/token`` refused the exchange (RFC 6749 §5.2).

    ``error`` is the RFC 6749 error code (``invalid_request``, ``unsupported_grant_type`` …),
    ``description`` the server's ``error_description`` (or ``None``), ``status`` the HTTP status.
    """

    def __init__(self, error: str, description: str | None, status: int) -> None:
        message = f"token exchange failed: {error}"
        if description:
            message += f" ({description})"
        super().__init__(message)
        self.error = error
        self.description = description
        self.status = status


class InvalidGrant(TokenExchangeError):
    """``invalid_grant``: the code is unknown, already used, expired, issued to another client,
    or ``redirect_uri`` differs from the registered one (RFC 6749 §5.2). Codes are single-use:
    start a new install to get a fresh one."""


class InvalidClient(TokenExchangeError):
    """``invalid_client``: the client ID or secret is wrong, or the secret has been rotated
    out (RFC 6749 §5.2)."""


@dataclass(frozen=True)
class FieldError:
    """One offending input named by an RFC 9457 problem's ``errors`` member."""

    field: str
    message: str


class ApiError(ZentailError):
    """The Open API refused a request with an RFC 9457 problem document.

    ``status`` (HTTP status), ``title``, ``detail`` and ``errors`` (one :class:`FieldError`
    per bad input, on validation failures) come from the problem document.
    """

    def __init__(
        self, status: int, title: str, detail: str, errors: tuple[FieldError, ...] = ()
    ) -> None:
        message = f"HTTP {status} {title}: {detail}"
        if errors:
            message += " [" + "; ".join(f"{e.field}: {e.message}" for e in errors) + "]"
        super().__init__(message)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors


class RateLimited(ZentailError):
    """HTTP 429 after the client's bounded retries, or with a ``Retry-After`` longer than the
    client is willing to wait. ``retry_after`` is the server's wait in seconds, if it gave one."""

    def __init__(self, detail: str, retry_after: float | None) -> None:
        message = f"rate limited: {detail}"
        if retry_after is not None:
            message += f" (retry after {retry_after:g} s)"
        super().__init__(message)
        self.detail = detail
        self.retry_after = retry_after


class TransportError(ZentailError):
    """The request got no HTTP answer; the httpx exception is the ``__cause__``."""


class UnexpectedResponse(ZentailError):
    """The answer is not one the platform sends: ``status`` and a short excerpt of the body
    are in the message."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason if status is None else f"HTTP {status}: {reason}")
        self.status = status
