"""The fast lane: the Open API's hottest reads, answered straight from ASGI.

Partners poll a few reads all day. For those, in their common shapes, this ASGI layer runs the
named steps itself — :func:`zentail.api.auth.authenticate` (token, rate limit, scope) → one
prebuilt statement (:mod:`zentail.api.hot_reads`) → JSON — without FastAPI's dependency
resolution, response-model validation or the session middleware, which together cost more
than the work. Everything else, and any request whose query it does not take as is (an
unknown or repeated parameter, an out-of-range page size, …), passes through untouched to the
FastAPI application, which stays the reference: it declares these routes in the OpenAPI
document and answers the uncommon shapes and every error there. Both share the
authentication, paging and rendering code, so the answers are the same byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from zentail.api import hot_reads
from zentail.api.auth import Authenticated, authenticate
from zentail.api.errors import PROBLEM_CONTENT_TYPE, ApiError, domain_error_status
from zentail.api.paging import MAX_PAGE_LENGTH
from zentail.api.query import MAX_ORDER_NUMBER
from zentail.api.rate_limit import rate_limit_headers
from zentail.domain.errors import DomainError, InvalidInput
from zentail.domain.tokens import Principal
from zentail.observability import metrics
from zentail.platform import Platform
from zentail.storage.errors import DatabaseUnavailable

Handler = Callable[[Platform, Principal, Mapping[str, str], str], Awaitable[Any]]


Accepts = Callable[[Platform, str, Mapping[str, str]], bool]


def always(_platform: Platform, _path: str, _query: Mapping[str, str]) -> bool:
    return True


def order_number_in_range(_platform: Platform, _path: str, query: Mapping[str, str]) -> bool:
    return int(query["orderNumber"]) <= MAX_ORDER_NUMBER


@dataclass(frozen=True)
class HotRoute:
    """One hot read: its path, the scope it needs, the query parameters it takes itself, and
    a last check (before authentication) that the request is one it answers as FastAPI would."""

    template: str
    pattern: re.Pattern[str]
    scope_name: str
    parameters: frozenset[str]
    handler: Handler
    accepts: Accepts = always


ROUTES = (
    HotRoute(
        "/v1/warehouses",
        re.compile(r"/v1/warehouses"),
        "warehouse:read",
        frozenset({"pageLength", "nextToken"}),
        hot_reads.warehouses_page,
    ),
    HotRoute(
        "/v1/salesOrder/{orderNumber}",
        re.compile(r"/v1/salesOrder/(?P<orderNumber>[1-9][0-9]{0,18})"),
        "salesOrder:read",
        frozenset(),
        hot_reads.one_order,
        order_number_in_range,
    ),
    HotRoute(
        "/v1/salesOrder",
        re.compile(r"/v1/salesOrder"),
        "salesOrder:read",
        frozenset({"pageLength", "nextToken", "status"}),
        hot_reads.orders_page,
        hot_reads.orders_page_filters,
    ),
)


def simple_query(query_string: bytes, accepted: frozenset[str]) -> dict[str, str] | None:
    """The query as a dict when every parameter is one this lane takes, once, non-empty, in
    printable ASCII; otherwise ``None`` (the request goes to the FastAPI application)."""
    if not query_string:
        return {}
    try:
        text = query_string.decode("ascii")
    except UnicodeDecodeError:
        return None
    pairs = parse_qsl(text, keep_blank_values=True)
    query = dict(pairs)
    if len(query) != len(pairs) or not set(query) <= accepted:
        return None
    if any(not value or not value.isprintable() for value in query.values()):
        return None
    length = query.get("pageLength")
    if length is not None and not (length.isdigit() and 1 <= int(length) <= MAX_PAGE_LENGTH):
        return None
    return query


def _encode(content: Any) -> bytes:
    # The same encoding as Starlette's JSONResponse, so both lanes answer the same bytes.
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def _problem(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> bytes:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return _encode(body)


class FastLane:
    """ASGI middleware: serves :data:`ROUTES` itself, passes everything else to ``app``."""

    def __init__(self, app: ASGIApp, platform: Platform, *, headers: Mapping[str, str]) -> None:
        self.app = app
        self.platform = platform
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path = scope["path"]
            for route in ROUTES:
                match = route.pattern.fullmatch(path)
                if match is None:
                    continue
                query = simple_query(scope["query_string"], route.parameters)
                if query is None:
                    break
                query.update(match.groupdict())
                if not route.accepts(self.platform, path, query):
                    break
                scope["zentail.route"] = route.template
                await self._serve(route, query, scope, send)
                return
        await self.app(scope, receive, send)

    async def _serve(
        self, route: HotRoute, query: dict[str, str], scope: Scope, send: Send
    ) -> None:
        authorization = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None
        )
        headers = list(self.headers)
        content_type = b"application/json"
        try:
            authenticated = await authenticate(self.platform, authorization, route.scope_name)
            headers += rate_limit_headers(authenticated.decision)
            status, body = 200, await self._body(route, query, scope, authenticated)
        except ApiError as error:
            status, body = error.status, _problem(error.status, error.detail, error.errors)
            headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
            content_type = PROBLEM_CONTENT_TYPE.encode()
        except DomainError as error:
            status = domain_error_status(error)
            errors = (
                [{"field": error.field, "message": error.message}]
                if isinstance(error, InvalidInput)
                else None
            )
            body = _problem(status, str(error), errors)
            content_type = PROBLEM_CONTENT_TYPE.encode()
        except DatabaseUnavailable as error:
            status, body = 503, _problem(503, "The database is unavailable; retry shortly")
            headers.append((b"retry-after", str(error.retry_after).encode()))
            content_type = PROBLEM_CONTENT_TYPE.encode()
        headers += [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _body(
        self, route: HotRoute, query: dict[str, str], scope: Scope, authenticated: Authenticated
    ) -> bytes:
        """The answer's body: cached while the account's data is unchanged
        (:mod:`zentail.response_cache`), else read and rendered."""
        principal, stamp = authenticated.principal, authenticated.data_stamp
        cache = self.platform.responses
        key = (principal.account_id, scope["path"], scope["query_string"])
        if stamp is not None:
            cached = cache.get(key, stamp)
            if cached is not None:
                metrics.record_response_body("hit")
                return cached
        body = _encode(await route.handler(self.platform, principal, query, scope["path"]))
        kept = stamp is not None and cache.put(key, stamp, body)
        metrics.record_response_body("fill" if kept else "uncached")
        return body
