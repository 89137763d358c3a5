"""The web platform's routes, one module per concern. Every unsafe request on this router
passes the CSRF check first (:func:`zentail.web.csrf.protect`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from zentail.web import csrf
from zentail.web.routes import (
    api_access,
    audit,
    auth,
    authorize,
    catalog,
    developer,
    installed,
    staff_accounts,
    staff_apps,
    staff_partners,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])
for module in (
    auth,
    authorize,
    catalog,
    installed,
    api_access,
    staff_apps,
    staff_accounts,
    staff_partners,
    audit,
    developer,
):
    router.include_router(module.router)
