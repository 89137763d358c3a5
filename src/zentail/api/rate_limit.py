"""``X-RateLimit-*`` headers on every authenticated API response, errors included.

The decision comes from the one limiter call in :func:`zentail.api.auth.require_scope`; this
plain ASGI wrapper only copies it into the response headers, so the hot path pays nothing
more. ``X-RateLimit-Limit`` is the bucket size (the burst), ``X-RateLimit-Remaining`` the
requests that may be sent right now; a 429 also carries ``Retry-After`` (RFC 6585 §4).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zentail.limits import Decision


def rate_limit_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    """The ``X-RateLimit-*`` headers for ``decision``, as raw ASGI headers."""
    return [
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
    ]


RATE_LIMIT_STATE = "rate_limit"


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = scope["state"].get(RATE_LIMIT_STATE)
                if isinstance(decision, Decision):
                    headers = MutableHeaders(scope=message)
                    for name, value in rate_limit_headers(decision):
                        headers[name.decode()] = value.decode()
            await send(message)

        await self.app(scope, receive, send_with_headers)
