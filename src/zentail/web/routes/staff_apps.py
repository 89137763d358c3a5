"""Staff console, the app registry: register (credentials shown once), edit, rotate the
secret (the old one keeps working for ``secret_rotation_grace`` seconds), suspend, resume."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import apps, partners
from zentail.domain.apps import LOGO_MAX_BYTES
from zentail.domain.errors import Conflict, InvalidInput
from zentail.domain.scopes import SCOPES
from zentail.storage.models import Installation, utcnow
from zentail.web import pages
from zentail.web.viewer import Staff, platform_of

router = APIRouter(prefix="/staff")

Text = Annotated[str, Form(max_length=5000)]
Scopes = Annotated[list[str] | None, Form()]
Logo = Annotated[UploadFile | None, File()]


def logo_bytes(upload: UploadFile | None) -> bytes | None:
    """The uploaded file's bytes (one more than the limit at most, so the limit is checked)."""
    if upload is None or not upload.filename:
        return None
    return upload.file.read(LOGO_MAX_BYTES + 1) or None


def form_page(
    request: Request, template: str, values: dict[str, Any], error: Exception, **extra: Any
) -> Response:
    """Show the form again, with what was typed and what is wrong."""
    message = str(error)
    status = 409 if isinstance(error, Conflict) else 400
    context = {"values": values, "error": message, "all_scopes": SCOPES, **extra}
    return pages.render(request, template, context, status=status)


@router.get("")
def console(viewer: Staff) -> Response:
    return pages.see_other("/staff/apps")


@router.get("/apps")
def registry(request: Request, viewer: Staff) -> Response:
    with platform_of(request).db.session() as session:
        counts = dict(
            session.execute(
                select(Installation.app_id, func.count())
                .where(Installation.uninstalled_at.is_(None))
                .group_by(Installation.app_id)
            ).all()
        )
        context = {"apps": apps.list_apps(session), "install_counts": counts}
        return pages.render(request, "staff/apps.html", context)


@router.get("/apps/new")
def register_form(request: Request, viewer: Staff) -> Response:
    context = {"values": {"scopes": []}, "all_scopes": SCOPES}
    return pages.render(request, "staff/app_form.html", context)


@router.post("/apps/new")
def register(
    request: Request,
    viewer: Staff,
    name: Text,
    contact_email: Text,
    redirect_uri: Text,
    description: Annotated[str, Form(max_length=5000)] = "",
    scopes: Scopes = None,
    logo: Logo = None,
) -> Response:
    platform = platform_of(request)
    values = {
        "name": name,
        "contact_email": contact_email,
        "redirect_uri": redirect_uri,
        "description": description,
        "scopes": scopes or [],
    }
    try:
        with platform.db.session(write=True) as session:
            app, credentials = apps.register_app(
                session,
                platform.keyring,
                name=name,
                contact_email=contact_email,
                redirect_uri=redirect_uri,
                scopes=scopes or [],
                description=description,
                logo=logo_bytes(logo),
                actor=viewer.actor,
            )
    except (InvalidInput, Conflict) as error:
        return form_page(request, "staff/app_form.html", values, error)
    context = {"app": app, "client_secret": credentials.client_secret}
    return pages.render(request, "staff/credentials.html", context, no_store=True)


@router.get("/apps/{client_id}")
def app_detail(request: Request, client_id: str, viewer: Staff) -> Response:
    with platform_of(request).db.session() as session:
        app = apps.get_app(session, client_id)
        installed = session.scalar(
            select(func.count()).where(
                Installation.app_id == app.id, Installation.uninstalled_at.is_(None)
            )
        )
        now = utcnow()
        context = {
            "app": app,
            "install_count": installed,
            "secrets": [(s, s.expires_at is None or s.expires_at > now) for s in app.secrets],
            "grace": platform_of(request).settings.secret_rotation_grace,
            "partners": partners.list_partners(session),
            "scope_requests": partners.pending_requests(session, app_id=app.id),
        }
        return pages.render(request, "staff/app.html", context)


@router.get("/apps/{client_id}/edit")
def edit_form(request: Request, client_id: str, viewer: Staff) -> Response:
    with platform_of(request).db.session() as session:
        app = apps.get_app(session, client_id)
        values = {
            "name": app.name,
            "contact_email": app.contact_email,
            "redirect_uri": app.redirect_uri,
            "description": app.description,
            "scopes": app.scopes.split(),
            "token_lifetime_seconds": app.token_lifetime_seconds or "",
        }
        context = {"app": app, "values": values, "all_scopes": SCOPES}
        return pages.render(request, "staff/app_form.html", context)


@router.post("/apps/{client_id}/edit")
def edit(
    request: Request,
    client_id: str,
    viewer: Staff,
    name: Text,
    contact_email: Text,
    redirect_uri: Text,
    description: Annotated[str, Form(max_length=5000)] = "",
    scopes: Scopes = None,
    logo: Logo = None,
    token_lifetime_seconds: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    values = {
        "name": name,
        "contact_email": contact_email,
        "redirect_uri": redirect_uri,
        "description": description,
        "scopes": scopes or [],
        "token_lifetime_seconds": token_lifetime_seconds,
    }
    try:
        with platform_of(request).db.session(write=True) as session:
            app = apps.get_app(session, client_id)
            apps.update_app(
                session,
                app,
                name=name,
                contact_email=contact_email,
                redirect_uri=redirect_uri,
                scopes=scopes or [],
                description=description,
                logo=logo_bytes(logo),
                actor=viewer.actor,
                token_lifetime_seconds=apps.parse_token_lifetime(token_lifetime_seconds),
            )
    except (InvalidInput, Conflict) as error:
        with platform_of(request).db.session() as session:
            app = apps.get_app(session, client_id)
            return form_page(request, "staff/app_form.html", values, error, app=app)
    pages.flash(request, f"{app.name} was updated.")
    return pages.see_other(f"/staff/apps/{client_id}")


@router.get("/apps/{client_id}/rotate-secret")
def confirm_rotate(request: Request, client_id: str, viewer: Staff) -> Response:
    platform = platform_of(request)
    with platform.db.session() as session:
        context = {
            "app": apps.get_app(session, client_id),
            "grace": platform.settings.secret_rotation_grace,
        }
        return pages.render(request, "staff/rotate.html", context)


@router.post("/apps/{client_id}/rotate-secret")
def rotate(request: Request, client_id: str, viewer: Staff) -> Response:
    platform = platform_of(request)
    with platform.db.session(write=True) as session:
        app = apps.get_app(session, client_id)
        secret, old_until = apps.rotate_secret(
            session,
            platform.keyring,
            app,
            grace_seconds=platform.settings.secret_rotation_grace,
            actor=viewer.actor,
        )
    context = {"app": app, "client_secret": secret, "old_until": old_until}
    return pages.render(request, "staff/credentials.html", context, no_store=True)


@router.get("/apps/{client_id}/suspend")
def confirm_suspend(request: Request, client_id: str, viewer: Staff) -> Response:
    with platform_of(request).db.session() as session:
        context = {"app": apps.get_app(session, client_id)}
        return pages.render(request, "staff/suspend.html", context)


@router.post("/apps/{client_id}/suspend")
def suspend(request: Request, client_id: str, viewer: Staff) -> Response:
    return set_status(request, client_id, viewer, active=False)


@router.post("/apps/{client_id}/resume")
def resume(request: Request, client_id: str, viewer: Staff) -> Response:
    return set_status(request, client_id, viewer, active=True)


def set_status(request: Request, client_id: str, viewer: Staff, *, active: bool) -> Response:
    with platform_of(request).db.session(write=True) as session:
        app = apps.set_status(
            session, apps.get_app(session, client_id), active=active, actor=viewer.actor
        )
        name = app.name
    done = "resumed: it can be installed and its tokens work again" if active else "suspended"
    pages.flash(request, f"{name} was {done}.")
    return pages.see_other(f"/staff/apps/{client_id}")
