"""Installed apps: what each may access, who installed it and when, when it was last used;
Uninstall (after a confirmation page) revokes its tokens at once.

Account users see their own account; staff pass ``?account=ID``.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import accounts, apps, installs
from zentail.domain.scopes import describe
from zentail.storage.tenancy import AccountScope
from zentail.web import pages
from zentail.web.params import AccountForm, AccountQuery
from zentail.web.viewer import AnyViewer, Installer, Viewer, acting_account, platform_of

router = APIRouter()


def installed_url(viewer: Viewer, account_id: int) -> str:
    return f"/installed?account={account_id}" if viewer.is_staff else "/installed"


@router.get("/installed")
def installed(request: Request, viewer: AnyViewer, account: AccountQuery = None) -> Response:
    target = acting_account(viewer, account)
    with platform_of(request).db.session() as session:
        context = {
            "account": accounts.get_account(session, target),
            "rows": [
                (installation, last_used, describe(installation.scopes))
                for installation, last_used in installs.list_installations_with_last_use(
                    AccountScope(session, target)
                )
            ],
        }
        return pages.render(request, "installed.html", context)


@router.get("/installed/{client_id}/uninstall")
def confirm_uninstall(
    request: Request, client_id: str, viewer: Installer, account: AccountQuery = None
) -> Response:
    target = acting_account(viewer, account)
    with platform_of(request).db.session() as session:
        app = apps.get_app(session, client_id)
        context = {
            "app": app,
            "account": accounts.get_account(session, target),
            "installation": installs.get_installation(session, app=app, account_id=target),
            "cancel_url": installed_url(viewer, target),
        }
        return pages.render(request, "uninstall.html", context)


@router.post("/installed/{client_id}/uninstall")
def uninstall(
    request: Request,
    client_id: str,
    viewer: Installer,
    account_id: AccountForm = None,
) -> Response:
    target = acting_account(viewer, account_id)
    with platform_of(request).db.session(write=True) as session:
        app = apps.get_app(session, client_id)
        installs.uninstall(session, app=app, account_id=target, actor=viewer.actor)
        name = app.name
    pages.flash(request, f"{name} was uninstalled. Its access stopped immediately.")
    return pages.see_other(installed_url(viewer, target))
