"""Rendering pages: the Jinja2 environment, the per-page context, flash messages and the
headers every HTML page carries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

from zentail.web import csrf

PACKAGE_DIR = Path(__file__).parent
FLASH_KEY = "flash"

# Pages load only their own stylesheet, script and images; nothing may frame them
# (RFC 6749 §10.13, RFC 9700 §4.16).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
}
# Pages that show a credential once must not be kept by the browser or any cache.
NO_STORE = {"Cache-Control": "no-store"}


def when(value: dt.datetime | None, default: str = "never") -> str:
    """A timestamp as people read it, in UTC."""
    if value is None:
        return default
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(seconds: int) -> str:
    """``604800`` → ``7 days``; ``0`` → ``no time at all``."""
    if seconds <= 0:
        return "no time at all"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


templates = Jinja2Templates(directory=str(PACKAGE_DIR / "templates"))
templates.env.filters["when"] = when
templates.env.filters["duration"] = duration


def static_files() -> StaticFiles:
    """The stylesheet and the small script, mounted at ``/static``."""
    return StaticFiles(directory=str(PACKAGE_DIR / "static"))


def flash(request: Request, message: str) -> None:
    """Show ``message`` on the next page this browser renders (kept in the session)."""
    request.session[FLASH_KEY] = [*request.session.get(FLASH_KEY, []), message]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    no_store: bool = False,
) -> HTMLResponse:
    """Render ``template`` with the viewer, the CSRF token and pending flash messages."""
    page_context = {
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": csrf.token(request),
        "flashes": request.session.pop(FLASH_KEY, []),
        **(context or {}),
    }
    headers = PAGE_HEADERS | (NO_STORE if no_store else {})
    return templates.TemplateResponse(
        request, template, page_context, status_code=status, headers=headers
    )


def see_other(url: str) -> RedirectResponse:
    """The answer to a successful form POST (Post/Redirect/Get)."""
    return RedirectResponse(url, status_code=303)
