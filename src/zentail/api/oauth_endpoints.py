"""The authorization server's HTTP endpoints: Starlette adapters around the framework-free
:mod:`zentail.oauth`.

``POST /v1/token`` runs on the event loop: the throttle check (one Redis round trip, which also
vouches for cached clients), the client from :class:`~zentail.domain.grant_store.GrantStore`,
and the redemption as one transaction of prebuilt statements. Revocation and introspection
run in one ORM write unit of work in a worker thread, with the throttle wired in through
``before_authentication``; its Redis round trip (and an assertion's ``jwks_uri`` fetch) is
made on the event loop before the unit opens, so no write lock waits on the network.
:class:`NoStoreMiddleware` guarantees the ``no-store`` headers and the RFC 6749 error shape on
every response of those paths, including the framework's own errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zentail import generations
from zentail.domain import client_keys
from zentail.domain.actors import Actor
from zentail.domain.authorization import SqlAuthorizationStore
from zentail.domain.grant_store import GrantStore
from zentail.oauth import (
    client_auth,
    diagnostics,
    introspection,
    metadata,
    revocation,
    token_endpoint,
)
from zentail.oauth.client_auth import PresentedCredentials
from zentail.oauth.endpoint import EndpointResult, OAuthHttpRequest, client_request, error_result
from zentail.oauth.errors import (
    NO_STORE_HEADERS,
    InvalidClient,
    MethodNotAllowed,
    OAuth2Error,
    RequestTooLarge,
    ServerError,
    TemporarilyUnavailable,
)
from zentail.oauth.throttle import ClientAuthThrottle, SlowDownRefusal
from zentail.observability import metrics
from zentail.platform import Platform
from zentail.storage.errors import DatabaseUnavailable
from zentail.storage.models import utcnow

log = logging.getLogger("zentail.oauth")

CLIENT_AUTHENTICATED_PATHS = frozenset(
    {metadata.TOKEN_PATH, metadata.REVOCATION_PATH, metadata.INTROSPECTION_PATH, diagnostics.PATH}
)

# A token, revocation or introspection request is a few hundred bytes; refuse to buffer more.
MAX_BODY_BYTES = 16 * 1024

Hook = Callable[[PresentedCredentials], None]
Endpoint = Callable[[OAuthHttpRequest, SqlAuthorizationStore, Platform, Hook], EndpointResult]


def source_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def throttle_for(platform: Platform) -> ClientAuthThrottle:
    settings = platform.settings
    return ClientAuthThrottle(
        platform.limiter,
        max_failures=settings.client_auth_max_failures,
        max_failures_per_address=settings.client_auth_max_failures_per_address,
        window=settings.client_auth_failure_window,
    )


async def _bounded_body(request: Request) -> bytes:
    """The body, read no further than :data:`MAX_BODY_BYTES`."""
    if request.method != "POST":
        return b""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise RequestTooLarge()
    return bytes(body)


async def _oauth_request(request: Request) -> OAuthHttpRequest:
    return OAuthHttpRequest(
        method=request.method,
        content_type=request.headers.get("content-type"),
        query_string=request.scope.get("query_string", b""),
        body=await _bounded_body(request),
        authorization=request.headers.get("authorization"),
    )


@dataclass(frozen=True)
class ThrottleChecked:
    """The throttle's answer for ``client_id``, taken on the event loop before the unit."""

    client_id: str
    refusal: SlowDownRefusal | None


def _run(
    platform: Platform,
    ip: str | None,
    endpoint: Endpoint,
    http_request: OAuthHttpRequest,
    checked: ThrottleChecked | None,
) -> EndpointResult:
    """One unit of work: authenticate behind the throttle, run the endpoint, count failures.
    The throttle's answer comes from ``checked`` when it is for the client presented (it was
    taken before the unit, so the unit never waits on Redis for it)."""
    throttle = throttle_for(platform)
    presented: list[PresentedCredentials] = []
    with platform.db.session(write=True) as session:
        store = SqlAuthorizationStore(
            session,
            Actor(label="client", source_ip=ip),
            limiter=platform.limiter,
            issuer=platform.settings.issuer,
            production=platform.settings.env == "production",
        )

        def before_authentication(credentials: PresentedCredentials) -> None:
            presented.append(credentials)
            store.actor = Actor(label=f"client:{credentials.client_id[:64]}", source_ip=ip)
            if checked is not None and checked.client_id == credentials.client_id:
                refusal = checked.refusal
            else:
                refusal = throttle.blocked_by(credentials.client_id, ip)
            if refusal is not None:
                store.record_throttled(credentials.client_id, refusal.bucket)
                raise refusal.error()

        result = endpoint(http_request, store, platform, before_authentication)
    if isinstance(result.error, InvalidClient):
        throttle.record_failure(presented[0].client_id if presented else None, ip)
    return result


AsyncEndpoint = Callable[[OAuthHttpRequest, Platform, str | None], Awaitable[EndpointResult]]


def _in_thread(endpoint: Endpoint) -> AsyncEndpoint:
    async def run(
        http_request: OAuthHttpRequest, platform: Platform, ip: str | None
    ) -> EndpointResult:
        checked = await _before_the_unit(http_request, platform, ip)
        return await run_in_threadpool(_run, platform, ip, endpoint, http_request, checked)

    return run


async def _before_the_unit(
    http_request: OAuthHttpRequest, platform: Platform, ip: str | None
) -> ThrottleChecked | None:
    """The network work of client authentication, here on the event loop, before :func:`_run`
    opens its write unit, so that no write lock is held over it: the throttle's Redis round
    trip for the client presented and, for a signed assertion, the client's ``jwks_uri`` (if it
    has one and it is not cached; the unit then finds the keys cached). Anything wrong with the
    request is left for the endpoint to answer."""
    try:
        _, credentials = client_request(http_request)
    except OAuth2Error:
        return None
    refusal, _ = await throttle_for(platform).acheck(credentials.client_id, ip)
    checked = ThrottleChecked(credentials.client_id, refusal)
    if credentials.method != client_auth.PRIVATE_KEY_JWT or refusal is not None:
        return checked
    client = await GrantStore(platform, Actor(label="client")).find_client(credentials.client_id)
    if client is not None and client.jwks_uri is not None:
        await client_keys.akeys_of(client, production=platform.settings.env == "production")
    return checked


AsyncCore = Callable[..., Awaitable[EndpointResult]]


def _on_the_event_loop(core: AsyncCore) -> AsyncEndpoint:
    """Run a framework-free endpoint whose storage is :class:`GrantStore` (the token
    endpoint, the token diagnostics) behind the client-authentication throttle: one Redis
    round trip, which also vouches for cached clients."""

    async def run(
        http_request: OAuthHttpRequest, platform: Platform, ip: str | None
    ) -> EndpointResult:
        throttle = throttle_for(platform)
        store = GrantStore(platform, Actor(label="client", source_ip=ip))
        presented: list[PresentedCredentials] = []

        async def before_authentication(credentials: PresentedCredentials) -> None:
            presented.append(credentials)
            store.actor = Actor(label=f"client:{credentials.client_id[:64]}", source_ip=ip)
            refusal, store.outcome = await throttle.acheck(
                credentials.client_id, ip, counters=(generations.ALL,)
            )
            if refusal is not None:
                metrics.record_rate_limited("client_auth")
                await store.record_throttled(credentials.client_id, refusal.bucket)
                raise refusal.error()

        result: EndpointResult = await core(
            http_request,
            store=store,
            keyring=platform.keyring,
            now=utcnow,
            before_authentication=before_authentication,
        )
        if isinstance(result.error, InvalidClient):
            await throttle.arecord_failure(presented[0].client_id if presented else None, ip)
        return result

    return run


def _route(
    endpoint: AsyncEndpoint, name: str, methods: tuple[str, ...] = ("POST",)
) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def handler(request: Request) -> JSONResponse:
        platform: Platform = request.app.state.platform
        ip = source_ip(request)
        try:
            http_request = await _oauth_request(request)
            if http_request.method not in methods:  # refused before any database work
                raise MethodNotAllowed(", ".join(methods))
        except OAuth2Error as error:
            result = error_result(error, None)
        else:
            try:
                result = await endpoint(http_request, platform, ip)
            except DatabaseUnavailable as unavailable:
                result = error_result(TemporarilyUnavailable(unavailable.retry_after), None)
        if name == "token":
            metrics.record_token_exchange(str(result.body.get("error", "success")))
        log.info(
            "%s request client_id=%s status=%s error=%s source_ip=%s",
            name,
            result.client.client_id if result.client else None,
            result.status,
            result.body.get("error"),
            ip,
        )
        return JSONResponse(result.body, status_code=result.status, headers=result.headers)

    handler.__name__ = name
    return handler


def _revoke(
    http_request: OAuthHttpRequest,
    store: SqlAuthorizationStore,
    platform: Platform,
    hook: Hook,
) -> EndpointResult:
    return revocation.handle(
        http_request,
        clients=store,
        tokens=store,
        keyring=platform.keyring,
        now=utcnow,
        before_authentication=hook,
    )


def _introspect(
    http_request: OAuthHttpRequest,
    store: SqlAuthorizationStore,
    platform: Platform,
    hook: Hook,
) -> EndpointResult:
    return introspection.handle(
        http_request,
        clients=store,
        tokens=store,
        keyring=platform.keyring,
        now=utcnow,
        before_authentication=hook,
    )


async def server_metadata(request: Request) -> JSONResponse:
    """RFC 8414 §3: the metadata document, as JSON."""
    platform: Platform = request.app.state.platform
    return JSONResponse(metadata.document(platform.settings.issuer))


class NoStoreMiddleware:
    """On the client-authenticated paths, every response carries ``Cache-Control: no-store``
    and ``Pragma: no-cache`` (RFC 6749 §5.1, §5.2), whoever produced it, and an unexpected
    exception is answered ``500 {"error": "server_error"}`` rather than an HTML page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in CLIENT_AUTHENTICATED_PATHS:
            await self.app(scope, receive, send)
            return
        started = False

        async def send_no_store(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in NO_STORE_HEADERS.items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_no_store)
        except Exception:
            log.exception("unexpected error on %s", scope["path"])
            if started:
                raise
            error = ServerError()
            body = json.dumps(error.body()).encode()
            headers = [(k.lower().encode(), v.encode()) for k, v in error.headers().items()]
            headers.append((b"content-type", b"application/json"))
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": body})


# Every method reaches the endpoint, which answers all but POST with its own 405 (RFC 6749 §3.2).
ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

routes = [
    Route(
        metadata.TOKEN_PATH,
        _route(_on_the_event_loop(token_endpoint.handle), "token"),
        methods=ANY_METHOD,
    ),
    Route(
        diagnostics.PATH,
        _route(
            _on_the_event_loop(diagnostics.read), "token diagnostics", methods=diagnostics.METHODS
        ),
        methods=ANY_METHOD,
    ),
    Route(metadata.REVOCATION_PATH, _route(_in_thread(_revoke), "revocation"), methods=ANY_METHOD),
    Route(
        metadata.INTROSPECTION_PATH,
        _route(_in_thread(_introspect), "introspection"),
        methods=ANY_METHOD,
    ),
    Route(metadata.PATH, server_metadata, methods=["GET"]),
]
