"""Bearer-token authentication, the per-token rate limit and scope checks for the Open API.

Accepted: ``AUTHORIZATION: <token>`` (as Zentail documents it) and
``Authorization: Bearer <token>`` (RFC 6750 §2.1). Failures are 401 with a
``WWW-Authenticate: Bearer`` challenge. Each authenticated request then takes one unit
from the token's leaky bucket (``api_rate_per_second`` / ``api_rate_burst``; over it: 429
with ``Retry-After``, RFC 6585 §4). A token without the endpoint's scope is 403 naming the
scope (RFC 6750 §3.1 ``insufficient_scope``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, params
from fastapi.security import APIKeyHeader

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
    the scope in the operation's ``security`` requirement."""

    def dependency(
        request: Request, authorization: Annotated[str | None, Depends(zentail_auth)]
    ) -> Iterator[ApiContext]:
        platform: Platform = request.app.state.platform
        raw = presented_token(authorization)
        with platform.db.session(write=write) as session:
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
                        "WWW-Authenticate": f'{REALM}, error="insufficient_scope", '
                        f'scope="{scope_name}"'
                    },
                )
            request.state.principal = principal
            yield ApiContext(principal, AccountScope(session, principal.account_id), platform)
        if principal.stale_last_used:
            with platform.db.session(write=True) as session:
                tokens.touch(session, principal.token_id)

    dependency.__name__ = f"require_{scope_name.replace(':', '_')}"
    # scope="function": the unit of work commits when the endpoint returns, before the
    # response is sent, so a client that reads right after a write sees it.
    return params.Security(dependency=dependency, scopes=[scope_name], scope="function")


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
