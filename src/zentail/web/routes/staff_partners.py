"""Staff console, partners: create a partner organisation with its first developer login
(a password left empty is generated and shown once), attach an app to a partner, and
approve or decline the scope changes developers request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import apps, partners
from zentail.domain.errors import Conflict, InvalidInput
from zentail.storage.models import MAX_ROW_ID
from zentail.web import pages
from zentail.web.viewer import Staff, platform_of

router = APIRouter(prefix="/staff")

Text = Annotated[str, Form(max_length=1000)]
OptionalId = Annotated[str, Form(max_length=12)]


@router.get("/partners")
def partner_list(request: Request, viewer: Staff) -> Response:
    with platform_of(request).db.session() as session:
        rows = partners.list_partners(session)
        context = {
            "partners": [(p, partners.partner_apps(session, p.id)) for p in rows],
            "values": {},
        }
        return pages.render(request, "staff/partners.html", context)


@router.post("/partners/new")
def create(
    request: Request,
    viewer: Staff,
    name: Text,
    developer_email: Text,
    developer_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    platform = platform_of(request)
    try:
        with platform.db.session(write=True) as session:
            created = partners.create_partner(
                session,
                name=name,
                developer_email=developer_email,
                developer_password=developer_password or None,
                actor=viewer.actor,
            )
            partner_name, email = created.partner.name, created.developer.email
    except (InvalidInput, Conflict) as error:
        with platform.db.session() as session:
            context = {
                "partners": [
                    (p, partners.partner_apps(session, p.id))
                    for p in partners.list_partners(session)
                ],
                "values": {"name": name, "developer_email": developer_email},
                "error": str(error),
            }
            status = 409 if isinstance(error, Conflict) else 400
            return pages.render(request, "staff/partners.html", context, status=status)
    if created.generated_password is None:
        pages.flash(request, f"{partner_name} was created; {email} can now log in.")
        return pages.see_other("/staff/partners")
    context = {"partner_name": partner_name, "email": email, "password": created.generated_password}
    return pages.render(request, "staff/partner_created.html", context, no_store=True)


def _partner_id(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ROW_ID:
        raise InvalidInput("partner_id", "is not a partner")
    return int(value)


@router.post("/apps/{client_id}/partner")
def attach(
    request: Request, client_id: str, viewer: Staff, partner_id: OptionalId = ""
) -> Response:
    with platform_of(request).db.session(write=True) as session:
        app = apps.get_app(session, client_id)
        chosen = _partner_id(partner_id)
        partner = partners.get_partner(session, chosen) if chosen is not None else None
        partners.attach_app(session, app, partner, actor=viewer.actor)
        message = f"{app.name} belongs to {partner.name if partner else 'no partner'} now."
    pages.flash(request, message)
    return pages.see_other(f"/staff/apps/{client_id}")


@router.post("/scope-requests/{request_id}/{decision}")
def decide(request: Request, request_id: int, decision: str, viewer: Staff) -> Response:
    if decision not in ("approve", "decline") or not 1 <= request_id <= MAX_ROW_ID:
        raise InvalidInput("decision", "must be approve or decline")
    with platform_of(request).db.session(write=True) as session:
        decided = partners.decide(
            session, request_id, approve=decision == "approve", actor=viewer.actor
        )
        client_id, name = decided.app.client_id, decided.app.name
    verb = "approved" if decision == "approve" else "declined"
    pages.flash(request, f"The scope change of {name} was {verb}.")
    return pages.see_other(f"/staff/apps/{client_id}")
