"""The audit log: a table of security-relevant events (never a credential)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zentail.domain.actors import Actor
from zentail.storage.models import AuditEvent

EVENTS = (
    "account.created",
    "user.created",
    "user.login_failed",
    "user.locked",
    "app.registered",
    "app.updated",
    "app.secret_rotated",
    "app.suspended",
    "app.resumed",
    "app.deleted",
    "app.webhook_set",
    "app.webhook_removed",
    "app.keys_set",
    "app.secrets_accepted_set",
    "webhook.redelivered",
    "partner.created",
    "app.partner_set",
    "app.scope_change_requested",
    "app.scope_change_approved",
    "app.scope_change_declined",
    "install",
    "uninstall",
    "code.issued",
    "token.issued",
    "token.revoked",
    "code.replay_detected",
    "token.refreshed",
    "refresh_token.reuse_detected",
    "refresh_token.revoked",
    "client.auth_failed",
    "client.throttled",
)


def record(
    session: Session,
    event: str,
    actor: Actor,
    *,
    account_id: int | None = None,
    app_id: int | None = None,
    **detail: Any,
) -> None:
    """Append one event. ``detail`` must hold identifiers only, never secrets or tokens."""
    assert event in EVENTS, event
    session.add(
        AuditEvent(
            event=event,
            actor=actor.label,
            account_id=account_id,
            app_id=app_id,
            source_ip=actor.source_ip,
            detail=detail,
        )
    )


def list_events(
    session: Session,
    *,
    account_id: int | None = None,
    event: str | None = None,
    app_id: int | None = None,
    limit: int = 200,
) -> list[AuditEvent]:
    """Newest first; ``account_id`` narrows to one account (what an account admin may see)."""
    statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if account_id is not None:
        statement = statement.where(AuditEvent.account_id == account_id)
    if event:
        statement = statement.where(AuditEvent.event == event)
    if app_id is not None:
        statement = statement.where(AuditEvent.app_id == app_id)
    return list(session.scalars(statement))
