"""RFC 6749 §5.2 error responses, one class per error code.

Every response from the token endpoint, errors included, carries ``Cache-Control: no-store``
and ``Pragma: no-cache`` (RFC 6749 §5.1). ``description`` is shown to the client and must stay
within RFC 6749's ``error_description`` character set; details for operators go to the log.
"""

from __future__ import annotations

import re
from typing import ClassVar, Self

NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_DESCRIPTION_CHARSET = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]*")


class OAuth2Error(Exception):
    """An RFC 6749 §5.2 error: ``error`` code, HTTP status, optional public description."""

    error: ClassVar[str] = "invalid_request"
    status_code: ClassVar[int] = 400

    def __init__(self, description: str | None = None, *, headers: dict[str, str] | None = None):
        if description is not None and not _DESCRIPTION_CHARSET.fullmatch(description):
            raise ValueError("error_description has characters RFC 6749 §5.2 forbids")
        super().__init__(description or self.error)
        self.description = description
        self.extra_headers = headers or {}
        # Why, for the client's owner only (zentail.oauth.diagnostics); never in the response.
        self.reason: str | None = None
        self.detail: dict[str, str | int | bool | None] = {}

    def because(self, reason: str, **detail: str | int | bool | None) -> Self:
        """Attach the stable reason (and its detail) that the client's owner may read in the
        token diagnostics; the response stays exactly as it is."""
        self.reason = reason
        self.detail = detail
        return self

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body

    def headers(self) -> dict[str, str]:
        return {**NO_STORE_HEADERS, **self.extra_headers}


class InvalidRequest(OAuth2Error):
    error = "invalid_request"


class MethodNotAllowed(OAuth2Error):
    """A method the endpoint does not take: 405 with ``Allow`` (RFC 9110 §15.5.6). The
    client-authenticated endpoints take only ``POST`` ("The client MUST use the HTTP POST
    method", RFC 6749 §3.2)."""

    error = "invalid_request"
    status_code = 405

    def __init__(self, allowed: str = "POST") -> None:
        super().__init__(f"Use {allowed}", headers={"Allow": allowed})


class RequestTooLarge(OAuth2Error):
    """A body larger than any legitimate request to these endpoints (RFC 9110 §15.5.14)."""

    error = "invalid_request"
    status_code = 413

    def __init__(self) -> None:
        super().__init__("The request body is too large")


class InvalidClient(OAuth2Error):
    """Client authentication failed: 401 with a ``Basic`` challenge (RFC 6749 §5.2)."""

    error = "invalid_client"
    status_code = 401

    def __init__(self, description: str | None = "Client authentication failed") -> None:
        super().__init__(description, headers={"WWW-Authenticate": 'Basic realm="zentail"'})


class InvalidGrant(OAuth2Error):
    error = "invalid_grant"


class UnauthorizedClient(OAuth2Error):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuth2Error):
    error = "unsupported_grant_type"


class InvalidScope(OAuth2Error):
    error = "invalid_scope"


class ServerError(OAuth2Error):
    """An unexpected failure, answered in the endpoint's own error shape (no details)."""

    error = "server_error"
    status_code = 500


class SlowDown(OAuth2Error):
    """Too many failed client authentications: 429 with ``Retry-After`` (RFC 6749 §2.3.1
    asks for brute-force protection; RFC 6585 §4 defines 429)."""

    error = "slow_down"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed attempts; retry later",
            headers={"Retry-After": str(max(1, retry_after))},
        )


class TemporarilyUnavailable(OAuth2Error):
    """The server cannot answer right now (its database is unreachable): 503 with
    ``Retry-After``; the request may be retried as it is (RFC 6749 §4.1.2.1 names the code)."""

    error = "temporarily_unavailable"
    status_code = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "The service is temporarily unavailable; retry later",
            headers={"Retry-After": str(max(1, retry_after))},
        )


class UnsupportedResponseType(OAuth2Error):
    """The authorization endpoint's ``unsupported_response_type`` (RFC 6749 §4.1.2.1)."""

    error = "unsupported_response_type"


class AccessDenied(OAuth2Error):
    """The resource owner denied the request (RFC 6749 §4.1.2.1)."""

    error = "access_denied"
