"""``GET /readyz`` and ``GET /metrics``."""

from __future__ import annotations

import hmac

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zentail.observability import metrics, readiness
from zentail.platform import Platform

router = APIRouter(include_in_schema=False)
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when the database answers at the migrations' head and Redis (if configured)
    answers; otherwise 503 naming what is not ready. For load balancers: a node that is
    not ready is taken out of rotation, and put back when it is."""
    platform: Platform = request.app.state.platform
    results = await readiness.checks(platform)
    ready = all(check.ok for check in results)
    body: dict[str, object] = {
        "status": "ready" if ready else "not ready",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in results},
        "not_ready": [check.name for check in results if not check.ok],
    }
    headers = {"Cache-Control": "no-store"}
    return JSONResponse(body, status_code=200 if ready else 503, headers=headers)


@router.get("/metrics")
def prometheus_metrics(request: Request) -> Response:
    """Prometheus text format, aggregated over the node's worker processes. Readable from a
    loopback address, or with ``Authorization: Bearer $ZENTAIL_METRICS_TOKEN``; to anyone
    else it does not exist (404)."""
    if not may_read_metrics(request):
        raise HTTPException(404)  # answered like any unknown address
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)


def may_read_metrics(request: Request) -> bool:
    token = request.app.state.platform.settings.metrics_token
    if token:
        presented = request.headers.get("authorization", "")
        if hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            return True
    return request.client is not None and request.client.host in LOOPBACK
