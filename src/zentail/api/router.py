"""The Open API v1 router: every resource module mounts here."""

from __future__ import annotations

from fastapi import APIRouter

from zentail.api import sales_orders

DESCRIPTION = """
The account-scoped Open API. Authenticate with the access token from `POST /v1/token`
(or an ad-hoc account token) in the `AUTHORIZATION` header, raw or as `Bearer <token>`.
Errors are RFC 9457 problem documents (`application/problem+json`).
"""

router = APIRouter()
router.include_router(sales_orders.router)
