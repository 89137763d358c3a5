"""Bearer-token authentication, the per-token rate limit and scope checks for the Open API.

Accepted: ``AUTHORIZATION: <token>`` (as Zentail documents it) and
``Authorization: Bearer <token>`` (RFC 6750 §2.1). Failures are 401 with a
``WWW-Authenticate: Bearer`` challenge. Each authenticated request then takes one unit
from the token's leaky bucket (``api_rate_per_second`` / ``api_rate_burst``; over it: 429
with ``Retry-After``, RFC 6585 §4). A token without the endpoint's scope is 403 naming the
scope (RFC 6750 §3.1 ``insufficient_scope``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, params
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zentail.api.errors import ApiError
from zentail.domain import tokens
from zentail.domain.tokens import Principal
from zentail.limits import retry_after_header
from zentail.platform import Platform
from zentail.storage.tenancy import AccountScope

REALM = 'Bearer realm="zentail"'
RATE_LIMIT_STATE = "rate_limit"

# Zentail's v1 reference declares this scheme: an API key in the AUTHORIZATION header.
zentail_auth = APIKeyHeader(
    name="AUTHORIZATION",
    scheme_name="zentail_auth",
    description="The access token from `POST /v1/token` or an ad-hoc account token, "
    "raw (`AUTHORIZATION: <token>`) or as `Bearer <token>`.",
    auto_error=False,
)


@dataclass(frozen=True)
class ApiContext:
    """An authenticated request: the caller and its account-scoped session."""

    principal: Principal
    scope: AccountScope
    platform: Platform


def presented_token(header: str | None) -> str:
    value = (header or "").strip()
    if not value:
        raise ApiError(401, "Missing AUTHORIZATION header", headers={"WWW-Authenticate": REALM})
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    if not value or " " in value:
        raise ApiError(
            401,
            "Malformed AUTHORIZATION header",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_request"'},
        )
    return value


def require_scope(scope_name: str, *, write: bool = False) -> Any:
    """A FastAPI dependency yielding an :class:`ApiContext` for callers holding
    ``scope_name``. ``write=True`` opens a write unit of work. The OpenAPI document lists
    the scope in the operation's ``security`` requirement.

    Reads authenticate on the event loop: the token check is one indexed lookup, and handing
    it to a worker thread and back costs more than it takes (two GIL hand-offs per request).
    Writes run in the thread pool, because on SQLite a write transaction may wait for the
    database's write lock and must not block the loop while it waits.
    """

    @contextmanager
    def open_context(request: Request, authorization: str | None) -> Iterator[ApiContext]:
        platform: Platform = request.app.state.platform
        raw = presented_token(authorization)
        with platform.db.session(write=write) as session:
            principal = authenticated(request, platform, session, raw, scope_name)
            yield ApiContext(principal, AccountScope(session, principal.account_id), platform)

    def write_dependency(
        request: Request, authorization: Annotated[str | None, Depends(zentail_auth)]
    ) -> Iterator[ApiContext]:
        with open_context(request, authorization) as context:
            yield context
        touch_if_stale(request)

    async def read_dependency(
        request: Request, authorization: Annotated[str | None, Depends(zentail_auth)]
    ) -> AsyncIterator[ApiContext]:
        with open_context(request, authorization) as context:
            yield context
        if context.principal.stale_last_used:  # rare: at most once a minute per token
            await run_in_threadpool(touch_if_stale, request)

    dependency = write_dependency if write else read_dependency
    dependency.__name__ = f"require_{scope_name.replace(':', '_')}"
    # scope="function": the unit of work commits when the endpoint returns, before the
    # response is sent, so a client that reads right after a write sees it.
    return params.Security(dependency=dependency, scopes=[scope_name], scope="function")


def authenticated(
    request: Request, platform: Platform, session: Session, raw: str, scope_name: str
) -> Principal:
    """Resolve the token, take a rate-limit unit, check the scope; raise the API error
    (401, 429, 403) otherwise."""
    principal = tokens.authenticate(
        session,
        platform.keyring,
        raw,
        last_used_resolution=platform.settings.token_last_used_resolution,
    )
    if principal is None:
        raise ApiError(
            401,
            "The access token is invalid, revoked or expired",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    take_rate_limit_unit(request, platform, principal)
    if scope_name not in principal.scopes:
        raise ApiError(
            403,
            f"This token lacks the scope {scope_name}",
            headers={
                "WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope_name}"'
            },
        )
    request.state.principal = principal
    return principal


def touch_if_stale(request: Request) -> None:
    """Record the token's use, at most once per ``token_last_used_resolution`` seconds."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None and principal.stale_last_used:
        platform: Platform = request.app.state.platform
        with platform.db.session(write=True) as session:
            tokens.touch(session, principal.token_id)


def take_rate_limit_unit(request: Request, platform: Platform, principal: Principal) -> None:
    """One limiter call per request, keyed by the token; the decision is kept on the request
    for the ``X-RateLimit-*`` headers (see :mod:`zentail.api.rate_limit`)."""
    decision = platform.limiter.acquire(
        f"api:{principal.token_id}",
        rate=platform.settings.api_rate_per_second,
        burst=platform.settings.api_rate_burst,
    )
    setattr(request.state, RATE_LIMIT_STATE, decision)
    if not decision.allowed:
        raise ApiError(
            429,
            f"Rate limit exceeded: {platform.settings.api_rate_per_second:g} requests per second "
            f"per token, bursts of {platform.settings.api_rate_burst}",
            headers={"Retry-After": retry_after_header(decision)},
        )
