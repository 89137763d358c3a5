"""Bearer-token authentication and scope checks for the Open API.

Accepted: ``AUTHORIZATION: <token>`` (as Zentail documents it) and
``Authorization: Bearer <token>`` (RFC 6750 §2.1). Failures are 401 with a
``WWW-Authenticate: Bearer`` challenge; a token without the endpoint's scope is 403
naming the scope (RFC 6750 §3.1 ``insufficient_scope``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request

from zentail.api.errors import ApiError
from zentail.domain import tokens
from zentail.domain.tokens import Principal
from zentail.platform import Platform
from zentail.storage.tenancy import AccountScope

REALM = 'Bearer realm="zentail"'


@dataclass(frozen=True)
class ApiContext:
    """An authenticated request: the caller and its account-scoped session."""

    principal: Principal
    scope: AccountScope
    platform: Platform


def presented_token(request: Request) -> str:
    value = request.headers.get("authorization", "").strip()
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
    ``scope_name``. ``write=True`` opens a write unit of work."""

    def dependency(request: Request) -> Iterator[ApiContext]:
        platform: Platform = request.app.state.platform
        raw = presented_token(request)
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
    return Depends(dependency)
