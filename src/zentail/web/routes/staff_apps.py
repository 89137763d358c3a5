"""Staff console, the app registry: register (credentials shown once), edit, rotate the
secret (the old one keeps working for ``secret_rotation_grace`` seconds), register public keys
for ``private_key_jwt``, suspend, resume."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import apps, client_keys, partners
from zentail.domain.actors import Actor
from zentail.domain.apps import LOGO_MAX_BYTES
from zentail.domain.errors import Conflict, InvalidInput
from zentail.domain.scopes import SCOPES
from zentail.storage.models import App, Installation, utcnow
from zentail.web import pages
from zentail.web.viewer import Staff, platform_of

router = APIRouter(prefix="/staff")

Text = Annotated[str, Form(max_length=5000)]
Scopes = Annotated[list[str] | None, Form()]
Logo = Annotated[UploadFile | None, File()]


@dataclass
class _KeysFields:
    jwks: Annotated[str, Form(max_length=64 * 1024)] = ""
    jwks_uri: Annotated[str, Form(max_length=2100)] = ""
    assertions_only: Annotated[bool, Form()] = False

    def save(self, session: Session, app: App, actor: Actor, production: bool) -> App:
        return client_keys.save_keys(
            session,
            app,
            jwks=self.jwks,
            jwks_uri=self.jwks_uri,
            assertions_only=self.assertions_only,
            actor=actor,
            production=production,
        )

    def refused(self, error: InvalidInput) -> dict[str, Any]:
        """What the app page shows again after a refused save (never a private key: a
        document holding one is not echoed back)."""
        echoed = self.jwks if "private key material" not in str(error) else ""
        return {"keys_error": str(error), "jwks_value": echoed, "jwks_uri_value": self.jwks_uri}


KeysForm = Annotated[_KeysFields, Depends()]
"""The consoles' public-keys form (``_public_keys.html``)."""


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


def _detail_context(request: Request, session: Session, client_id: str) -> dict[str, Any]:
    app = apps.get_app(session, client_id)
    installed = session.scalar(
        select(func.count()).where(
            Installation.app_id == app.id, Installation.uninstalled_at.is_(None)
        )
    )
    now = utcnow()
    return {
        "app": app,
        "install_count": installed,
        "secrets": [(s, s.expires_at is None or s.expires_at > now) for s in app.secrets],
        "grace": platform_of(request).settings.secret_rotation_grace,
        "partners": partners.list_partners(session),
        "scope_requests": partners.pending_requests(session, app_id=app.id),
        "key_ids": client_keys.key_ids(app),
        "keys_action": f"/staff/apps/{app.client_id}/keys",
    }


@router.get("/apps/{client_id}")
def app_detail(request: Request, client_id: str, viewer: Staff) -> Response:
    with platform_of(request).db.session() as session:
        return pages.render(request, "staff/app.html", _detail_context(request, session, client_id))


@router.post("/apps/{client_id}/keys")
def set_keys(request: Request, client_id: str, viewer: Staff, form: KeysForm) -> Response:
    platform = platform_of(request)
    try:
        with platform.db.session(write=True) as session:
            app = apps.get_app(session, client_id)
            form.save(session, app, viewer.actor, platform.settings.env == "production")
    except InvalidInput as error:
        with platform.db.session() as session:
            context = _detail_context(request, session, client_id) | form.refused(error)
            return pages.render(request, "staff/app.html", context, status=400)
    pages.flash(request, "The public keys were saved.")
    return pages.see_other(f"/staff/apps/{client_id}#public-keys")


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
