"""Authenticating an Open API request: the token, the per-token rate limit, the scope.

Accepted: ``AUTHORIZATION: <token>`` (as Zentail documents it) and
``Authorization: Bearer <token>`` (RFC 6750 §2.1). Failures are 401 with a
``WWW-Authenticate: Bearer`` challenge. Each request takes one unit from the token's leaky
bucket (``api_rate_per_second`` / ``api_rate_burst``; over it: 429 with ``Retry-After``,
RFC 6585 §4). A token without the endpoint's scope is 403 naming the scope (RFC 6750 §3.1
``insufficient_scope``).

:func:`authenticate` is the whole check, in this order: digest the presented token → one Redis
round trip (take a rate-limit unit, read the token's generations) → the cached principal if the
generations vouch for it, else one indexed read → 401 / 429 / 403. Both the fast lane
(:mod:`zentail.api.fast_lane`) and the FastAPI dependency :func:`require_scope` call it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, params
from fastapi.security import APIKeyHeader

from zentail import generations
from zentail.api.errors import ApiError
from zentail.api.rate_limit import RATE_LIMIT_STATE, rate_limit_headers
from zentail.domain import tokens
from zentail.domain.tokens import Principal
from zentail.limits import Bucket, Decision, retry_after_header
from zentail.observability import metrics
from zentail.platform import Platform
from zentail.principal_cache import PrincipalCache
from zentail.response_cache import Stamp
from zentail.storage.models import utcnow
from zentail.storage.tenancy import AccountScope

REALM = 'Bearer realm="zentail"'

# Zentail's v1 reference declares this scheme: an API key in the AUTHORIZATION header.
zentail_auth = APIKeyHeader(
    name="AUTHORIZATION",
    scheme_name="zentail_auth",
    description="The access token from `POST /v1/token` or an ad-hoc account token, "
    "raw (`AUTHORIZATION: <token>`) or as `Bearer <token>`.",
    auto_error=False,
)


@dataclass(frozen=True)
class Authenticated:
    """A request that passed: who calls, and the rate-limit decision for its headers."""

    principal: Principal
    decision: Decision
    data_stamp: Stamp | None = None
    """The epoch, :data:`~zentail.generations.DATA_ALL` and the account's data counter, read
    before any database read of this request; ``None`` when they could not be read (nothing
    may then be cached)."""


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


INVALID_TOKEN = ApiError(
    401,
    "The access token is invalid, revoked or expired",
    headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
)


async def authenticate(platform: Platform, header: str | None, scope_name: str) -> Authenticated:
    """Resolve the token, take a rate-limit unit, check the scope; raise the API error
    (401, 429, 403) otherwise. Answers 401 before 429, and 429 before 403."""
    digest = platform.keyring.digest(presented_token(header))
    settings = platform.settings
    cache = platform.principals
    counters = [generations.ALL, generations.token_counter(digest)]
    account_id = cache.account_of(digest) if platform.responses.enabled else None
    if account_id is not None:
        counters += [generations.DATA_ALL, generations.data_counter(account_id)]
    outcome = await platform.limiter.atake(
        [Bucket(f"api:{digest[:32]}", settings.api_rate_per_second, settings.api_rate_burst)],
        counters=counters,
    )
    now = utcnow()
    principal = cache.get(digest, outcome)
    if principal is None or principal.expired(now):
        row = await platform.gateway.fetch_one(tokens.TOKEN_BY_DIGEST, {"digest": digest})
        principal = tokens.principal_from_row(row, now)
        if principal is None:
            cache.forget(digest)
            raise INVALID_TOKEN
        cache.put(digest, principal, outcome)
    decision = outcome.decisions[0]
    if not decision.allowed:
        metrics.record_rate_limited("api")
        raise ApiError(
            429,
            f"Rate limit exceeded: {settings.api_rate_per_second:g} requests per second "
            f"per token, bursts of {settings.api_rate_burst}",
            headers={"Retry-After": retry_after_header(decision), **_headers(decision)},
        )
    if scope_name not in principal.scopes:
        raise ApiError(
            403,
            f"This token lacks the scope {scope_name}",
            headers={
                "WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope_name}"',
                **_headers(decision),
            },
        )
    if principal.use_is_stale(now, settings.token_last_used_resolution):
        await record_use(platform, cache, digest, principal, outcome)
    data_stamp = None
    if outcome.shared and account_id is not None and principal.account_id == account_id:
        data_stamp = (outcome.counters[0], *outcome.counters[-2:])
    return Authenticated(principal, decision, data_stamp)


def _headers(decision: Decision) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in rate_limit_headers(decision)}


async def record_use(
    platform: Platform, cache: PrincipalCache, digest: str, principal: Principal, outcome: Any
) -> None:
    """Record the token's use (at most once per ``token_last_used_resolution`` seconds per
    process), and remember it in the cached principal."""
    now = utcnow()
    params = {"token_id": principal.token_id, "now": now}
    gateway = platform.gateway
    if gateway.dialect == "sqlite":
        await gateway.write(lambda tx: tx.execute(tokens.TOUCH, params))  # type: ignore[union-attr]
    else:
        await gateway.fetch_all(tokens.TOUCH, params)
    touched = Principal(
        principal.token_id,
        principal.account_id,
        principal.scopes,
        principal.app_id,
        principal.kind,
        principal.expires_at,
        now,
    )
    cache.put(digest, touched, outcome)


def require_scope(scope_name: str, *, write: bool = False) -> Any:
    """A FastAPI dependency yielding an :class:`ApiContext` for callers holding
    ``scope_name``, with an ORM unit of work (``write=True`` for one that writes) opened in a
    worker thread. The OpenAPI document lists the scope in the operation's ``security``.
    """

    async def authenticated(
        request: Request, authorization: Annotated[str | None, Depends(zentail_auth)]
    ) -> Principal:
        platform: Platform = request.app.state.platform
        result = await authenticate(platform, authorization, scope_name)
        setattr(request.state, RATE_LIMIT_STATE, result.decision)
        request.state.principal = result.principal
        return result.principal

    async def unit_of_work(
        request: Request,
        principal: Principal = Depends(authenticated),  # a closure: not in an annotation
    ) -> AsyncIterator[ApiContext]:
        platform: Platform = request.app.state.platform
        async with platform.db.session_in_threads(write=write) as session:
            yield ApiContext(principal, AccountScope(session, principal.account_id), platform)

    authenticated.__name__ = f"authenticate_{scope_name.replace(':', '_')}"
    unit_of_work.__name__ = f"require_{scope_name.replace(':', '_')}"
    # scope="function": the unit of work commits when the endpoint returns, before the
    # response is sent, so a client that reads right after a write sees it.
    return params.Security(dependency=unit_of_work, scopes=[scope_name], scope="function")
