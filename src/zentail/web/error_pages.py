"""HTML error pages for the web platform, and the dispatch that keeps JSON problem details
(RFC 9457) for the API: ``/v1/…`` and ``/.well-known/…`` get JSON, everything else a page.

Never a stack trace: an unexpected error is logged and answered with a plain 500 page.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import urlencode

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from zentail.api import errors as api_errors
from zentail.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from zentail.oauth.authorize import RedirectedError
from zentail.storage.availability import is_unavailable
from zentail.storage.errors import DatabaseUnavailable
from zentail.web import pages
from zentail.web.errors import LoginRequired, PageError

log = logging.getLogger("zentail.web")

Handler = Callable[[Request, Exception], Awaitable[Response]]
SESSION_COOKIE = "zentail_session"

DOMAIN_TITLES: dict[type[DomainError], str] = {
    NotFound: "Not found",
    Conflict: "This cannot be done right now",
    InvalidInput: "Some input was not accepted",
    Forbidden: "Not allowed",
}
STATUS_TITLES = {
    404: "Page not found",
    405: "This page does not accept that request",
}


def error_page(request: Request, error: PageError) -> Response:
    context = {
        "status": error.status,
        "title": error.title,
        "message": error.message,
        "login_link": error.login_link,
    }
    response = pages.render(request, "error.html", context, status=error.status)
    if error.status == 503:
        response.headers["Retry-After"] = str(DatabaseUnavailable.retry_after)
    return response


def as_page_error(error: Exception) -> PageError:
    """Translate any exception the app raises into what the page shows."""
    if isinstance(error, PageError):
        return error
    if is_unavailable(error):
        return PageError(
            503,
            "Temporarily unavailable",
            "The platform cannot reach its database right now. Try again in a few seconds.",
        )
    if isinstance(error, DomainError):
        status = api_errors.domain_error_status(error)
        title = next(t for cls, t in DOMAIN_TITLES.items() if isinstance(error, cls))
        return PageError(status, title, str(error))
    if isinstance(error, RequestValidationError):
        fields = ", ".join(f["field"] for f in api_errors.validation_errors(error))
        return PageError(400, "Some form fields are missing or invalid", f"Check: {fields}.")
    if isinstance(error, HTTPException):
        phrase = HTTPStatus(error.status_code).phrase
        title = STATUS_TITLES.get(error.status_code, phrase)
        message = "There is nothing at this address." if error.status_code == 404 else phrase
        return PageError(error.status_code, title, message)
    if isinstance(error, api_errors.ApiError):
        return PageError(error.status, HTTPStatus(error.status).phrase, error.detail)
    return PageError(500, "Something went wrong", "The error has been logged. Please try again.")


async def login_redirect(request: Request, error: Exception) -> Response:
    """Send the browser to the login page, coming back here afterwards. A session cookie
    that no longer opens a session means the session expired: the login page says so."""
    params = {"next": request.url.path + (f"?{request.url.query}" if request.url.query else "")}
    if SESSION_COOKIE in request.cookies and not request.session:
        params["expired"] = "1"
    return pages.see_other(f"/login?{urlencode(params)}")


async def authorization_error(request: Request, error: Exception) -> Response:
    """An authorization request's error, for the client at its verified redirect URI
    (RFC 6749 §4.1.2.1, with ``iss``: RFC 9207)."""
    assert isinstance(error, RedirectedError)
    issuer: str = request.app.state.platform.settings.issuer
    return pages.see_other(error.location(issuer))


async def page_error(request: Request, error: Exception) -> Response:
    return error_page(request, as_page_error(error))


async def internal_error_problem(request: Request, error: Exception) -> Response:
    return api_errors.problem(500, "Internal server error")


def dispatching(api_handler: Handler) -> Handler:
    """``api_handler`` for API paths, an HTML page for all others."""

    async def handle(request: Request, error: Exception) -> Response:
        if api_errors.is_api_request(request):
            return await api_handler(request, error)
        page = as_page_error(error)
        if page.status == 503:
            log.warning("database unavailable on %s %s", request.method, request.url.path)
        elif page.status >= 500:
            log.error("error on %s %s", request.method, request.url.path, exc_info=error)
        return error_page(request, page)

    return handle


def install_html_dispatch(app: FastAPI) -> None:
    """Wrap the API's registered handlers so that web pages get HTML; add the web's own."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = dispatching(handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, dispatching(internal_error_problem))
    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(LoginRequired, login_redirect)
    app.add_exception_handler(RedirectedError, authorization_error)
