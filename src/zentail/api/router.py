"""The Open API v1 router: every resource module mounts here; :func:`install` adds the
rate-limit headers, tidies the OpenAPI document (with the authorization server's endpoints
merged in) and serves ``/docs`` from local assets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from zentail.api import (
    docs,
    inventory,
    listings,
    oauth_openapi,
    order_actions,
    sales_orders,
    warehouses,
)
from zentail.api.errors import PROBLEM_CONTENT_TYPE
from zentail.api.rate_limit import RateLimitHeadersMiddleware

DESCRIPTION = """
The account-scoped Open API. Authenticate with the access token from `POST /v1/token`
(or an ad-hoc account token) in the `AUTHORIZATION` header, raw or as `Bearer <token>`.
Every operation requires one scope, named in its description and `security` requirement.

Errors are RFC 9457 problem documents (`application/problem+json`); validation errors list
every offending field in `errors`. Each token may send 10 requests per second with bursts
of 10; responses carry `X-RateLimit-Limit` and `X-RateLimit-Remaining`, and a 429 carries
`Retry-After`. Timestamps are ISO 8601 with a zone. Lists are paged:
`{"results": [...], "pagination": {"hasNext": ..., "nextToken": "<URL of the next page>"}}`.
"""

router = APIRouter()
router.include_router(order_actions.router)
router.include_router(sales_orders.router)
router.include_router(warehouses.router)
router.include_router(inventory.router)
router.include_router(listings.router)


def install(app: FastAPI) -> None:
    """Add the ``X-RateLimit-*`` headers, the tidied OpenAPI document and ``/docs`` to
    ``app`` (before ``/static`` is mounted: see :func:`zentail.api.docs.install`)."""
    app.add_middleware(RateLimitHeadersMiddleware)
    docs.install(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = oauth_openapi.merge(tidy(document))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def tidy(document: dict[str, Any]) -> dict[str, Any]:
    """Make the generated document say what the API does: errors are 400 problem documents
    (FastAPI's default 422 never happens), and each operation names its scope."""
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            responses.pop("422", None)
            for status, response in responses.items():
                content = response.get("content", {})
                if int(status) >= 400 and "application/json" in content:
                    content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
            scopes = [s for req in operation.get("security", []) for v in req.values() for s in v]
            if scopes:
                note = f"**Required scope:** `{'`, `'.join(scopes)}`"
                operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
                document_rate_limit_headers(responses)
    schemas = document.get("components", {}).get("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return document


RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "Requests the token's bucket holds (the burst)",
    "X-RateLimit-Remaining": "Requests the token may send right now",
}


def document_rate_limit_headers(responses: dict[str, Any]) -> None:
    """Authenticated responses carry ``X-RateLimit-*``; a 429 also ``Retry-After``."""
    for status, response in responses.items():
        if status == "401":
            continue
        headers = response.setdefault("headers", {})
        for name, description in RATE_LIMIT_HEADERS.items():
            headers[name] = {"description": description, "schema": {"type": "integer"}}
        if status == "429":
            headers["Retry-After"] = {
                "description": "Seconds to wait before the next request",
                "required": True,
                "schema": {"type": "integer"},
            }
