"""HTTP adapter for the authorization server's endpoints (Starlette)."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from zentail.domain.actors import Actor
from zentail.domain.authorization import SqlAuthorizationStore
from zentail.oauth import token_endpoint
from zentail.platform import Platform
from zentail.storage.models import utcnow

log = logging.getLogger("zentail.oauth")


def source_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def token(request: Request) -> JSONResponse:
    """``POST /v1/token``: RFC 6749 §4.1.3 token request."""
    platform: Platform = request.app.state.platform
    http_request = token_endpoint.TokenHttpRequest(
        method=request.method,
        content_type=request.headers.get("content-type"),
        query_string=request.scope.get("query_string", b""),
        body=await request.body(),
        authorization=request.headers.get("authorization"),
    )
    ip = source_ip(request)

    def process() -> token_endpoint.TokenResult:
        with platform.db.session(write=True) as session:
            store = SqlAuthorizationStore(session, Actor(label="client", source_ip=ip))
            return token_endpoint.handle(
                http_request, clients=store, codes=store, keyring=platform.keyring, now=utcnow
            )

    result = await run_in_threadpool(process)
    client_id = result.client.client_id if result.client else None
    log.info(
        "token request client_id=%s status=%s error=%s source_ip=%s",
        client_id,
        result.status,
        result.body.get("error"),
        ip,
    )
    return JSONResponse(result.body, status_code=result.status, headers=result.headers)


routes = [Route("/v1/token", token, methods=["POST"])]
