"""The audit log: account admins see their account's events; staff see every event and
filter by event, app and account (:func:`zentail.domain.audit.list_events`)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import audit
from zentail.storage.models import Account, App
from zentail.web import pages
from zentail.web.errors import PageError
from zentail.web.params import AccountQuery
from zentail.web.viewer import AnyViewer, platform_of

router = APIRouter()
PAGE_SIZE = 200


@router.get("/audit")
def audit_log(
    request: Request,
    viewer: AnyViewer,
    event: str = "",
    app: str = "",
    account: AccountQuery = None,
) -> Response:
    """Filters: ``event`` name, ``app`` client ID, ``account`` ID (staff only)."""
    if not (viewer.is_staff or viewer.is_account_admin):
        raise PageError(403, "Only account admins can do this", "Ask an admin of your account.")
    account_id = account if viewer.is_staff else viewer.account_id
    with platform_of(request).db.session() as session:
        app_ids = {row.client_id: row.id for row in session.execute(select(App.client_id, App.id))}
        app_names = dict(session.execute(select(App.id, App.name)).all())
        account_names = dict(session.execute(select(Account.id, Account.name)).all())
        events = audit.list_events(
            session,
            account_id=account_id,
            event=event if event in audit.EVENTS else None,
            app_id=app_ids.get(app, -1) if app else None,
            limit=PAGE_SIZE,
        )
        context = {
            "events": events,
            "event_names": audit.EVENTS,
            "app_names": app_names,
            "account_names": account_names,
            "apps": sorted(app_ids, key=lambda client_id: app_names[app_ids[client_id]].lower()),
            "app_ids": app_ids,
            "filters": {"event": event, "app": app, "account": account},
            "page_size": PAGE_SIZE,
        }
        return pages.render(request, "audit.html", context)
