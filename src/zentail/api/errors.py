"""One JSON error shape for the whole API: RFC 9457 problem details.

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "No sales order 10000001", "errors": [{"field": "...", "message": "..."}]}

``errors`` appears on validation failures and names every offending field. Content type:
``application/problem+json``. Web pages get HTML error pages instead (see ``zentail.web``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zentail.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from zentail.oauth import metadata
from zentail.storage.availability import UNAVAILABLE_ERRORS
from zentail.storage.errors import DatabaseUnavailable

log = logging.getLogger("zentail.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PREFIXES = ("/v1/", "/.well-known/")
# The one page under an API prefix: the authorization endpoint (RFC 6749 §3.1) is where a
# seller's browser logs in and consents, so it has the web's session and HTML error pages.
WEB_PATHS = frozenset({metadata.AUTHORIZATION_PATH})


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the API (JSON errors, no session cookie)."""
    return path.startswith(API_PREFIXES) and path not in WEB_PATHS


class FieldError(BaseModel):
    field: str = Field(description="The offending field, as a dotted path (e.g. products.0.SKU)")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document; every API error has this shape."""

    type: str = Field(default="about:blank", description="Always about:blank (RFC 9457 §4.2.1)")
    title: str = Field(description="The HTTP status phrase")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong, in words meant for a developer")
    errors: list[FieldError] | None = Field(
        default=None, description="On validation errors: every offending field"
    )


RESPONSE_DESCRIPTIONS = {
    400: "Invalid input; `errors` names every offending field",
    401: "Missing, unknown, revoked or expired token, or the app is suspended",
    403: "The token lacks the scope this operation requires",
    404: "No such object in the token's account",
    409: "The request contradicts the object's current state",
    429: "Rate limit exceeded; retry after `Retry-After` seconds",
    503: "The database is briefly unavailable; retry after `Retry-After` seconds",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these error statuses, all with the problem schema."""
    return {
        status: {"model": Problem, "description": RESPONSE_DESCRIPTIONS[status]}
        for status in statuses
    }


class ApiError(Exception):
    """Raise from API code to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_CONTENT_TYPE
    )


def is_api_request(request: Request) -> bool:
    return is_api_path(request.url.path)


DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 400,
    Forbidden: 403,
}


def domain_error_status(error: DomainError) -> int:
    return next((s for cls, s in DOMAIN_STATUS.items() if isinstance(error, cls)), 400)


def validation_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """Name each field as a dotted path without FastAPI's ``body``/``query`` prefix."""
    fields = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        if item.get("type") == "json_invalid":
            location = []  # the position in the text is not a field
        elif location and location[0] in ("body", "query", "path", "header"):
            location = location[1:]
        fields.append({"field": ".".join(location) or "body", "message": item.get("msg", "")})
    return fields


async def handle_api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return problem(error.status, error.detail, errors=error.errors, headers=error.headers)


async def handle_domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    if isinstance(error, InvalidInput):
        errors = [{"field": error.field, "message": error.message}]
        return problem(400, str(error), errors=errors)
    return problem(domain_error_status(error), str(error))


async def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    fields = validation_errors(error)
    detail = "Invalid request: " + ", ".join(f["field"] for f in fields)
    return problem(400, detail, errors=fields)


async def handle_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return problem(error.status_code, str(error.detail), headers=error.headers)


async def handle_database_unavailable(request: Request, error: Exception) -> Response:
    """503 with ``Retry-After`` (RFC 9110 §15.6.4, §10.2.3): nothing was committed, the
    request may be sent again as it is. One warning line, no traceback per request."""
    log.warning("database unavailable on %s: %s", request.url.path, type(error).__name__)
    return problem(
        503,
        "The database is briefly unavailable; retry the request",
        headers={"Retry-After": str(DatabaseUnavailable.retry_after)},
    )


def install_handlers(app: FastAPI) -> None:
    """Register the API's handlers. The web package wraps them to render HTML for pages."""
    for unavailable in UNAVAILABLE_ERRORS:
        app.add_exception_handler(unavailable, handle_database_unavailable)
    app.add_exception_handler(ApiError, handle_api_error)
    app.add_exception_handler(DomainError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(HTTPException, handle_http_exception)
