"""``create_app(settings)``: the ASGI application, mounting the authorization server,
the Open API and the web platform."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zentail import __version__, webhook_delivery
from zentail.api import errors as api_errors
from zentail.api import oauth_endpoints as oauth_routes
from zentail.api import router as api_router
from zentail.api.fast_lane import FastLane
from zentail.observability import lifecycle as observability_lifecycle
from zentail.observability import middleware as observability_middleware
from zentail.observability import routes as observability_routes
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.web import error_pages as web_error_pages
from zentail.web import pages as web_pages
from zentail.web import routes as web_routes

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeadersMiddleware:
    """Adds anti-framing and no-sniff headers to every response (RFC 9700 §4.16), as plain
    ASGI so that the API's hot path pays nothing for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class WebSessionMiddleware(SessionMiddleware):
    """Web sessions for the platform's pages; API and OAuth paths (``/v1/``, ``/.well-known/``)
    never read or set the cookie, so they skip it, but for the authorization endpoint, a page
    (:data:`zentail.api.errors.WEB_PATHS`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and api_errors.is_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class ZentailAPI(FastAPI):
    """The FastAPI application with the request path in front of it: every HTTP request
    meets ``front`` first (the observability middleware, then the fast lane), and only what
    the fast lane passes on goes through FastAPI's own stack (:meth:`framework`), so the hot
    reads skip the framework's outer layers (about a tenth of a warm read's CPU)."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.front is not None:
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


_heap_frozen = False


def freeze_startup_heap() -> None:
    """Once per process, when the first application has started: move every object alive
    then (modules, routes, metadata, compiled statements) out of the cyclic garbage
    collector's sight (:func:`gc.freeze`). Otherwise each full collection walks them all
    again, and under load those pauses (about 100 ms on this code base) stall every request
    in flight on the worker."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    platform = Platform(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with (
            observability_lifecycle.running(platform),
            webhook_delivery.delivering(platform),  # signed webhooks, at least once
        ):
            freeze_startup_heap()
            yield
        await platform.aclose()

    app = ZentailAPI(
        title="Zentail Open API",
        version=__version__,
        description=api_router.DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # api_router.install serves /docs from local assets
        openapi_url="/openapi.json",
        redoc_url=None,
        # No OpenTelemetry here: its per-request check costs more than a hot read's own work.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.platform = platform
    app.router.routes.extend(oauth_routes.routes)
    app.include_router(api_router.router)
    api_router.install(app)
    app.include_router(web_routes.router)
    app.include_router(observability_routes.router)
    app.mount("/static", web_pages.static_files(), name="static")
    api_errors.install_handlers(app)
    web_error_pages.install_html_dispatch(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(oauth_routes.NoStoreMiddleware)
    app.add_middleware(
        WebSessionMiddleware,
        secret_key=platform.keyring.digest("zentail/session-cookie"),
        session_cookie="zentail_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.front = observability_middleware.ObservabilityMiddleware(
        FastLane(app.framework, platform, headers=SECURITY_HEADERS)
    )
    return app
