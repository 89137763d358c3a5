"""The partner app's routes (Starlette).

    GET  /oauth_callback   the platform's redirect after Install: verify, link, exchange
    GET  /login, POST /login, POST /logout    a trivial local login (one configured user)
    GET  /                 the linked Zentail account's pending orders

Nothing here logs a code or a token, and uvicorn's access log (which would print the
callback's query string, code included) is off: see ``__main__``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

import zentail_partner as partner
from examples.partner_app.config import Config
from examples.partner_app.store import TokenStore, derive_key

log = logging.getLogger("partner_app")
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
MAX_ORDERS_SHOWN = 200


def create_app(config: Config) -> Starlette:
    store = TokenStore(config.database, config.secret_key)

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context |= {"user": request.session.get("user"), "csrf": _csrf_token(request)}
        return templates.TemplateResponse(request, name, context, status_code=status)

    def failure(request: Request, status: int, message: str) -> Response:
        return page(request, "error.html", status, message=message)

    async def oauth_callback(request: Request) -> Response:
        """Verify first: a forged or stale callback goes no further (its code is not used)."""
        try:
            callback = partner.verify_callback(str(request.url), config.app)
        except partner.InvalidCallback as error:
            log.warning("refused an install callback: %s", error)
            return failure(request, 400, f"This install link is not valid: {error}.")
        if "user" not in request.session:
            # Step 3 of the documented flow: the partner's own user logs in first.
            request.session["pending_code"] = callback.code
            return RedirectResponse("/login?linking=1", status_code=303)
        return await link_account(request, callback.code)

    async def link_account(request: Request, code: str) -> Response:
        user = request.session["user"]
        try:
            async with partner.AsyncClient(config.platform_url) as zentail:
                token = await zentail.call(partner.exchange_code(config.app, code))
        except partner.InvalidGrant:
            return failure(
                request,
                400,
                "This install link was already used or has expired. "
                "Click Install in Zentail again.",
            )
        except partner.ZentailError as error:
            log.error("code exchange failed for %s: %s", user, error)
            return failure(request, 502, f"Zentail did not accept the exchange: {error}")
        await run_in_threadpool(store.save, user, config.client_id, token.access_token)
        log.info("linked a Zentail account to partner user %s", user)
        return RedirectResponse("/", status_code=303)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "login.html", linking=bool(request.query_params.get("linking")))
        form = await request.form()
        if not _csrf_ok(request, form.get("csrf")):
            return failure(request, 400, "The form expired; go back and try again.")
        if not _credentials_ok(config, form.get("username"), form.get("password")):
            return page(request, "login.html", 401, error="Wrong email or password.")
        pending_code = request.session.pop("pending_code", None)
        request.session.clear()
        request.session["user"] = config.username
        if pending_code:
            return await link_account(request, pending_code)
        return RedirectResponse("/", status_code=303)

    async def logout(request: Request) -> Response:
        form = await request.form()
        if _csrf_ok(request, form.get("csrf")):
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def home(request: Request) -> Response:
        user = request.session.get("user")
        if user is None:
            return RedirectResponse("/login", status_code=303)
        token = await run_in_threadpool(store.token_for, user)
        if token is None:
            return page(request, "index.html", orders=None, platform_url=config.platform_url)
        try:
            orders = await _pending_orders(config.platform_url, token)
        except partner.ApiError as error:
            if error.status != 401:
                return failure(request, 502, f"Zentail refused the request: {error}")
            await run_in_threadpool(store.forget, user)  # uninstalled: the token was revoked
            return page(request, "index.html", orders=None, revoked=True)
        except partner.ZentailError as error:  # unreachable, rate limited, unexpected answer
            return failure(request, 502, f"Zentail is not answering as expected: {error}")
        return page(request, "index.html", orders=orders)

    return Starlette(
        routes=[
            Route("/", home),
            Route("/oauth_callback", oauth_callback),
            Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["POST"]),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=derive_key(config.secret_key, "session-cookie").hex(),
                session_cookie="partner_session",
                same_site="lax",
                https_only=config.redirect_uri.startswith("https://"),
            )
        ],
    )


async def _pending_orders(platform_url: str, token: str) -> list[partner.SalesOrder]:
    orders: list[partner.SalesOrder] = []
    async with partner.AsyncClient(platform_url, token) as zentail:
        async for order in zentail.paginate(partner.list_sales_orders(status="PENDING")):
            orders.append(order)
            if len(orders) == MAX_ORDERS_SHOWN:
                break
    return orders


def _csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if token is None:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _csrf_ok(request: Request, presented: object) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(presented, str) or not isinstance(expected, str):
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def _credentials_ok(config: Config, username: object, password: object) -> bool:
    if not isinstance(username, str) or not isinstance(password, str):
        return False
    same_user = hmac.compare_digest(username.encode(), config.username.encode())
    same_password = hmac.compare_digest(password.encode(), config.password.encode())
    return same_user and same_password
