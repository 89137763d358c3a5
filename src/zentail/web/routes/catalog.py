"""The app catalog, app pages with the Install consent, and app logos.

Install (RFC 6749 §4.1.2, platform-initiated) is a CSRF-protected POST answered with
``303 See Other`` to the URL :func:`zentail.domain.installs.install` builds from the app's
registered redirect URI, and to nothing else.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import accounts, apps, installs
from zentail.domain.scopes import describe
from zentail.storage.models import Installation
from zentail.storage.tenancy import AccountScope
from zentail.web import logos, pages
from zentail.web.params import AccountForm, AccountQuery
from zentail.web.viewer import AnyViewer, Installer, Viewer, acting_account, platform_of

router = APIRouter()


def installed_app_ids(session: Session, viewer: Viewer) -> set[int]:
    """IDs of the apps installed on the viewer's account (none for staff)."""
    if viewer.account_id is None:
        return set()
    statement = (
        AccountScope(session, viewer.account_id)
        .select(Installation)
        .where(Installation.uninstalled_at.is_(None))
        .with_only_columns(Installation.app_id)
    )
    return set(session.scalars(statement))


@router.get("/apps")
def catalog(request: Request, viewer: AnyViewer, account: AccountQuery = None) -> Response:
    """Active apps for account users; every app, with its status, for staff."""
    with platform_of(request).db.session() as session:
        rows = apps.list_apps(session, active_only=not viewer.is_staff)
        context = {
            "apps": rows,
            "installed": installed_app_ids(session, viewer),
            "account": account if viewer.is_staff else None,
        }
        return pages.render(request, "catalog.html", context)


@router.get("/apps/{client_id}")
def app_page(
    request: Request, client_id: str, viewer: AnyViewer, account: AccountQuery = None
) -> Response:
    """Logo, name, description and, in plain words, what the app will be able to do."""
    with platform_of(request).db.session() as session:
        app = apps.get_app(session, client_id)
        if app.status != "active" and not viewer.is_staff:
            return suspended_page(request, app.name, status=200)
        context = {
            "app": app,
            "abilities": describe(app.scopes),
            "installed": app.id in installed_app_ids(session, viewer),
            "accounts": accounts.list_accounts(session) if viewer.is_staff else [],
            "selected_account": account,
        }
        return pages.render(request, "app.html", context)


def suspended_page(request: Request, name: str, *, status: int) -> Response:
    context = {"name": name}
    return pages.render(request, "suspended.html", context, status=status)


@router.post("/apps/{client_id}/install")
def install(
    request: Request,
    client_id: str,
    viewer: Installer,
    account_id: AccountForm = None,
) -> Response:
    """Consent given: install on the account and send the browser to the partner (303)."""
    platform = platform_of(request)
    with platform.db.session(write=True) as session:
        target = acting_account(viewer, account_id)
        accounts.get_account(session, target)
        app = apps.get_app(session, client_id)
        if app.status != "active":
            return suspended_page(request, app.name, status=409)
        result = installs.install(
            session,
            platform.keyring,
            app=app,
            account_id=target,
            actor=viewer.actor,
            code_ttl=platform.settings.authorization_code_ttl,
        )
    return pages.see_other(result.redirect_url)


@router.get("/apps/{client_id}/logo")
def logo(request: Request, client_id: str, viewer: AnyViewer) -> Response:
    with platform_of(request).db.session() as session:
        return logos.logo_response(apps.get_app(session, client_id))
