"""Partner organisations: they own apps, and their developers use the developer console.

A developer sees and changes only the apps of their own partner; an app of another partner
is not found (404), exactly like a row of another account. Scope changes stay a staff
decision: a developer requests them, staff approve or decline.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zentail.domain import apps, audit, users
from zentail.domain.actors import Actor
from zentail.domain.errors import Conflict, InvalidInput, NotFound
from zentail.domain.scopes import join_scopes, parse_scopes
from zentail.storage.models import App, Installation, Partner, ScopeChangeRequest, User, utcnow

PENDING, APPROVED, DECLINED = "pending", "approved", "declined"


@dataclass(frozen=True)
class NewPartner:
    """A created partner, its first developer, and the generated password (shown once;
    ``None`` when one was given)."""

    partner: Partner
    developer: User
    generated_password: str | None


def create_partner(
    session: Session,
    *,
    name: str,
    developer_email: str,
    developer_password: str | None,
    actor: Actor,
) -> NewPartner:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name", "must be 1 to 200 characters")
    if session.scalar(select(Partner.id).where(func.lower(Partner.name) == name.lower())):
        raise Conflict(f"a partner named {name!r} already exists")
    partner = Partner(name=name)
    session.add(partner)
    session.flush()
    generated = None if developer_password else secrets.token_urlsafe(12)
    developer = add_developer(
        session,
        partner,
        email=developer_email,
        password=developer_password or generated or "",
        actor=actor,
    )
    audit.record(session, "partner.created", actor, partner_id=partner.id)
    return NewPartner(partner, developer, generated)


def add_developer(
    session: Session, partner: Partner, *, email: str, password: str, actor: Actor
) -> User:
    return users.create_user(
        session,
        email=email,
        password=password,
        role="developer",
        account_id=None,
        partner_id=partner.id,
        actor=actor,
    )


def get_partner(session: Session, partner_id: int) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFound(f"no partner with ID {partner_id}")
    return partner


def list_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.name)))


def attach_app(session: Session, app: App, partner: Partner | None, *, actor: Actor) -> App:
    """Make ``partner`` (or nobody) the owner of ``app``."""
    app.partner_id = partner.id if partner else None
    audit.record(
        session, "app.partner_set", actor, app_id=app.id, partner_id=partner.id if partner else None
    )
    return app


def partner_apps(session: Session, partner_id: int) -> list[App]:
    return list(session.scalars(select(App).where(App.partner_id == partner_id).order_by(App.name)))


def partner_app(session: Session, partner_id: int, client_id: str) -> App:
    """One of the partner's apps; any other app, existing or not, is not found."""
    app = session.scalar(
        select(App).where(App.client_id == client_id, App.partner_id == partner_id)
    )
    if app is None:
        raise NotFound(f"no app with client ID {client_id!r}")
    return app


def install_count(session: Session, app: App) -> int:
    """How many accounts have the app installed now (a count, never which accounts)."""
    count = session.scalar(
        select(func.count()).where(
            Installation.app_id == app.id, Installation.uninstalled_at.is_(None)
        )
    )
    return int(count or 0)


def request_scopes(
    session: Session, app: App, scopes: str | list[str], *, actor: Actor
) -> ScopeChangeRequest:
    """Ask staff for a new scope set; a pending request of the same app is replaced."""
    wanted = join_scopes(parse_scopes(scopes))
    if wanted == app.scopes:
        raise InvalidInput("scopes", "are the ones the app already has")
    for pending in pending_requests(session, app_id=app.id):
        pending.status = DECLINED
        pending.decided_at = utcnow()
    request = ScopeChangeRequest(
        app_id=app.id, scopes=wanted, status=PENDING, requested_by_user_id=actor.user_id
    )
    session.add(request)
    session.flush()
    audit.record(session, "app.scope_change_requested", actor, app_id=app.id, scopes=wanted)
    return request


def pending_requests(session: Session, *, app_id: int | None = None) -> list[ScopeChangeRequest]:
    statement = select(ScopeChangeRequest).where(ScopeChangeRequest.status == PENDING)
    if app_id is not None:
        statement = statement.where(ScopeChangeRequest.app_id == app_id)
    return list(session.scalars(statement.order_by(ScopeChangeRequest.id)))


def decide(session: Session, request_id: int, *, approve: bool, actor: Actor) -> ScopeChangeRequest:
    """Approve (the app's scopes become the requested ones) or decline a pending request."""
    request = session.get(ScopeChangeRequest, request_id)
    if request is None or request.status != PENDING:
        raise NotFound("no such pending scope change request")
    request.status = APPROVED if approve else DECLINED
    request.decided_at = utcnow()
    request.decided_by_user_id = actor.user_id
    if approve:
        apps.update_app(session, request.app, scopes=request.scopes, actor=actor)
    event = "app.scope_change_approved" if approve else "app.scope_change_declined"
    audit.record(session, event, actor, app_id=request.app_id, scopes=request.scopes)
    return request
