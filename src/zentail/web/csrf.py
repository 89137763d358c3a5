"""CSRF protection for every form: a synchronizer token kept in the session (OWASP CSRF
Prevention Cheat Sheet; RFC 6749 §10.12 for the Install consent).

Every page embeds :func:`token` in a hidden ``csrf_token`` field; :func:`protect` runs before
every unsafe request of the web router and compares the two in constant time.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

from zentail.web.errors import PageError

SESSION_KEY = "csrf"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token(request: Request) -> str:
    """The session's token, created on first use."""
    value = request.session.get(SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = value
    return value


def renew(request: Request) -> str:
    """Issue a fresh token (after login), so one seen before login is worthless after."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return str(request.session[SESSION_KEY])


async def protect(request: Request) -> None:
    """Refuse an unsafe request whose form does not carry the session's token (403).

    A session that holds no token at all has expired (or never existed): the page says so.
    """
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    if not isinstance(expected, str) or not expected:
        raise PageError(
            403,
            "Your session has expired",
            "For your security, forms stop working when a session ends. "
            "Log in again and repeat what you were doing.",
            login_link=True,
        )
    presented = (await request.form()).get(FIELD)
    if not isinstance(presented, str) or not hmac.compare_digest(
        presented.encode(), expected.encode()
    ):
        raise PageError(
            403,
            "This form could not be accepted",
            "The form was missing its security token or came from another site or an old "
            "page. Go back, reload the page and try again.",
        )
