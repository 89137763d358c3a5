"""The developer console (``/developer``): a partner's developers manage their own apps.

Every page loads the app through :func:`zentail.domain.partners.partner_app`, so another
partner's app is a 404 like one that does not exist. A developer edits the registration
(not the scopes: those are requested here and decided by staff), rotates the client secret
(shown once; the old one keeps working through the grace period), sets the webhook URL
(its signing secret shown once), registers the app's public keys for ``private_key_jwt``,
reads the webhook deliveries and redelivers one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import apps, client_keys, diagnostics, partners, webhooks
from zentail.domain.errors import Conflict, InvalidInput
from zentail.domain.scopes import SCOPES
from zentail.storage.models import MAX_ROW_ID, utcnow
from zentail.web import logos, pages
from zentail.web.routes.staff_apps import KeysForm, Logo, Scopes, Text, logo_bytes
from zentail.web.viewer import Developer, platform_of

router = APIRouter(prefix="/developer")
DeliveryId = Annotated[int, Form(ge=1, le=MAX_ROW_ID)]


def _partner_id(viewer: Developer) -> int:
    assert viewer.partner_id is not None
    return viewer.partner_id


@router.get("")
def console(request: Request, viewer: Developer) -> Response:
    with platform_of(request).db.session() as session:
        rows = partners.partner_apps(session, _partner_id(viewer))
        context = {
            "apps": rows,
            "install_counts": {app.id: partners.install_count(session, app) for app in rows},
        }
        return pages.render(request, "developer/apps.html", context)


def _app_context(request: Request, viewer: Developer, client_id: str) -> dict[str, Any]:
    platform = platform_of(request)
    with platform.db.session() as session:
        app = partners.partner_app(session, _partner_id(viewer), client_id)
        now = utcnow()
        return {
            "app": app,
            "install_count": partners.install_count(session, app),
            "secrets": [(s, s.expires_at is None or s.expires_at > now) for s in app.secrets],
            "grace": platform.settings.secret_rotation_grace,
            "deliveries": webhooks.list_deliveries(session, app),
            "token_failures": diagnostics.recent(session, app.id, now=now),
            "pending_scopes": partners.pending_requests(session, app_id=app.id),
            "all_scopes": SCOPES,
            "key_ids": client_keys.key_ids(app),
            "keys_action": f"/developer/apps/{app.client_id}/keys",
        }


@router.get("/apps/{client_id}")
def app_detail(request: Request, client_id: str, viewer: Developer) -> Response:
    return pages.render(request, "developer/app.html", _app_context(request, viewer, client_id))


@router.get("/apps/{client_id}/edit")
def edit_form(request: Request, client_id: str, viewer: Developer) -> Response:
    with platform_of(request).db.session() as session:
        app = partners.partner_app(session, _partner_id(viewer), client_id)
        values = {
            "name": app.name,
            "contact_email": app.contact_email,
            "redirect_uri": app.redirect_uri,
            "description": app.description,
        }
        return pages.render(request, "developer/app_form.html", {"app": app, "values": values})


@router.post("/apps/{client_id}/edit")
def edit(
    request: Request,
    client_id: str,
    viewer: Developer,
    name: Text,
    contact_email: Text,
    redirect_uri: Text,
    description: Annotated[str, Form(max_length=5000)] = "",
    logo: Logo = None,
) -> Response:
    values = {
        "name": name,
        "contact_email": contact_email,
        "redirect_uri": redirect_uri,
        "description": description,
    }
    platform = platform_of(request)
    try:
        with platform.db.session(write=True) as session:
            app = partners.partner_app(session, _partner_id(viewer), client_id)
            apps.update_app(
                session,
                app,
                name=name,
                contact_email=contact_email,
                redirect_uri=redirect_uri,
                description=description,
                logo=logo_bytes(logo),
                actor=viewer.actor,
            )
            name = app.name
    except (InvalidInput, Conflict) as error:
        with platform.db.session() as session:
            app = partners.partner_app(session, _partner_id(viewer), client_id)
            context = {"app": app, "values": values, "error": str(error)}
            status = 409 if isinstance(error, Conflict) else 400
            return pages.render(request, "developer/app_form.html", context, status=status)
    pages.flash(request, f"{name} was updated.")
    return pages.see_other(f"/developer/apps/{client_id}")


@router.get("/apps/{client_id}/rotate-secret")
def confirm_rotate(request: Request, client_id: str, viewer: Developer) -> Response:
    platform = platform_of(request)
    with platform.db.session() as session:
        context = {
            "app": partners.partner_app(session, _partner_id(viewer), client_id),
            "grace": platform.settings.secret_rotation_grace,
        }
        return pages.render(request, "developer/rotate.html", context)


@router.post("/apps/{client_id}/rotate-secret")
def rotate(request: Request, client_id: str, viewer: Developer) -> Response:
    platform = platform_of(request)
    with platform.db.session(write=True) as session:
        app = partners.partner_app(session, _partner_id(viewer), client_id)
        secret, old_until = apps.rotate_secret(
            session,
            platform.keyring,
            app,
            grace_seconds=platform.settings.secret_rotation_grace,
            actor=viewer.actor,
        )
    context = {"app": app, "client_secret": secret, "old_until": old_until}
    return pages.render(request, "developer/secret.html", context, no_store=True)


@router.post("/apps/{client_id}/webhook")
def set_webhook(
    request: Request,
    client_id: str,
    viewer: Developer,
    webhook_url: Annotated[str, Form(max_length=2100)] = "",
) -> Response:
    platform = platform_of(request)
    try:
        with platform.db.session(write=True) as session:
            app = partners.partner_app(session, _partner_id(viewer), client_id)
            secret = webhooks.set_webhook(
                session,
                platform.keyring,
                app,
                url=webhook_url,
                actor=viewer.actor,
                production=platform.settings.env == "production",
            )
    except InvalidInput as error:
        context = _app_context(request, viewer, client_id) | {
            "webhook_error": str(error),
            "webhook_value": webhook_url,
        }
        return pages.render(request, "developer/app.html", context, status=400)
    if secret is None:
        pages.flash(request, "The webhook was removed.")
        return pages.see_other(f"/developer/apps/{client_id}")
    context = {"app": app, "webhook_secret": secret}
    return pages.render(request, "developer/secret.html", context, no_store=True)


@router.post("/apps/{client_id}/keys")
def set_keys(request: Request, client_id: str, viewer: Developer, form: KeysForm) -> Response:
    platform = platform_of(request)
    try:
        with platform.db.session(write=True) as session:
            app = partners.partner_app(session, _partner_id(viewer), client_id)
            form.save(session, app, viewer.actor, platform.settings.env == "production")
    except InvalidInput as error:
        context = _app_context(request, viewer, client_id) | form.refused(error)
        return pages.render(request, "developer/app.html", context, status=400)
    pages.flash(request, "The public keys were saved.")
    return pages.see_other(f"/developer/apps/{client_id}#public-keys")


@router.post("/apps/{client_id}/redeliver")
def redeliver(
    request: Request, client_id: str, viewer: Developer, delivery_id: DeliveryId
) -> Response:
    with platform_of(request).db.session(write=True) as session:
        app = partners.partner_app(session, _partner_id(viewer), client_id)
        delivery = webhooks.redeliver(session, app, delivery_id, actor=viewer.actor)
        message_id = delivery.message_id
    pages.flash(request, f"Delivery {message_id} will be sent again in a moment.")
    return pages.see_other(f"/developer/apps/{client_id}#deliveries")


@router.post("/apps/{client_id}/scopes")
def request_scopes(
    request: Request, client_id: str, viewer: Developer, scopes: Scopes = None
) -> Response:
    try:
        with platform_of(request).db.session(write=True) as session:
            app = partners.partner_app(session, _partner_id(viewer), client_id)
            partners.request_scopes(session, app, scopes or [], actor=viewer.actor)
    except InvalidInput as error:
        context = _app_context(request, viewer, client_id) | {"scopes_error": str(error)}
        return pages.render(request, "developer/app.html", context, status=400)
    pages.flash(request, "Scope change requested: Zentail staff will review it.")
    return pages.see_other(f"/developer/apps/{client_id}")


@router.get("/apps/{client_id}/logo")
def logo(request: Request, client_id: str, viewer: Developer) -> Response:
    with platform_of(request).db.session() as session:
        return logos.logo_response(partners.partner_app(session, _partner_id(viewer), client_id))
