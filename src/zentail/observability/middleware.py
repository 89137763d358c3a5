"""The outermost middleware: request id, HTTP metrics and the one access line per request.

Plain ASGI (it sits on the hottest path): per request it reads one header, wraps ``send``
once, and after the answer updates two metrics through a cache of label children (no lock,
no label validation per request). The access line is formatted only when it is logged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client.metrics import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zentail.logging import redact_target
from zentail.observability import metrics
from zentail.observability.request_id import from_header

HEADER = b"x-request-id"
UNMATCHED = "unmatched"
access_log = logging.getLogger("zentail.access")


def route_template(scope: Scope) -> str:
    """The matched route's template, else the fast lane's ``zentail.route``, else
    ``"unmatched"``; never the raw path (label cardinality must stay bounded)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    fast: Any = scope.get("zentail.route")
    return fast if isinstance(fast, str) else UNMATCHED


class ObservabilityMiddleware:
    """Sets ``X-Request-ID`` on every response (the request's own when sane, see
    :mod:`zentail.observability.request_id`), counts and times every HTTP request, and
    writes the access line (logger ``zentail.access``) with the redacted target."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._timers: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        raw_id = None
        for name, value in scope["headers"]:
            if name == HEADER:
                raw_id = value
                break
        request_id = from_header(raw_id)
        scope["zentail.request_id"] = request_id
        header = (HEADER, request_id.encode("ascii"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status, time.perf_counter() - started, request_id)

    def _observe(self, scope: Scope, status: int, seconds: float, request_id: str) -> None:
        route, method = route_template(scope), scope["method"]
        counter = self._counters.get((route, method, status))
        if counter is None:
            counter = metrics.HTTP_REQUESTS.labels(route, method, str(status))
            self._counters[(route, method, status)] = counter
        counter.inc()
        timer = self._timers.get((route, method))
        if timer is None:
            timer = self._timers[(route, method)] = metrics.HTTP_DURATION.labels(route, method)
        timer.observe(seconds)
        if access_log.isEnabledFor(logging.INFO):
            log_access(scope, status, seconds, request_id)


def log_access(scope: Scope, status: int, seconds: float, request_id: str) -> None:
    query = scope.get("query_string", b"")
    target = scope["path"] + ("?" + query.decode("latin-1") if query else "")
    path = redact_target(target)
    client = scope.get("client")
    address = f"{client[0]}:{client[1]}" if client else "-"
    duration_ms = round(seconds * 1000, 1)
    access_log.info(
        '%s - "%s %s HTTP/%s" %d %.1fms request_id=%s',
        address,
        scope["method"],
        path,
        scope.get("http_version", "1.1"),
        status,
        duration_ms,
        request_id,
        extra={
            "method": scope["method"],
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "request_id": request_id,
            "client": address,
        },
    )
