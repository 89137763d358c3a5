"""The refused token requests kept for their client's owner (see
:mod:`zentail.oauth.diagnostics` for the reasons and what they mean)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, exists, insert, literal, select
from sqlalchemy.orm import Session

from zentail.oauth.diagnostics import MAX_RESULTS, RETENTION
from zentail.oauth.stores import TokenFailure
from zentail.storage.models import App, AuthorizationCode
from zentail.storage.models import TokenFailure as TokenFailureRow


def record(session: Session, client_id: str, failure: TokenFailure) -> None:
    """Keep ``failure`` for the app whose client ID is ``client_id``. One statement, the same
    whether or not such an app exists (it then inserts nothing), so recording does not tell
    a known client from an unknown one."""
    chosen = select(
        App.id,
        literal(failure.at, TokenFailureRow.at.type),
        literal(failure.error),
        literal(failure.reason),
        literal(failure.source_ip, TokenFailureRow.source_ip.type),
        literal(failure.detail, TokenFailureRow.detail.type),
    ).where(App.client_id == client_id)
    columns = ["app_id", "at", "error", "reason", "source_ip", "detail"]
    session.execute(insert(TokenFailureRow).from_select(columns, chosen))


def recent(session: Session, app_id: int, *, now: dt.datetime) -> list[TokenFailure]:
    """``app_id``'s failures of the last :data:`RETENTION`, newest first, at most
    :data:`MAX_RESULTS`."""
    rows = session.scalars(
        select(TokenFailureRow)
        .where(TokenFailureRow.app_id == app_id, TokenFailureRow.at >= now - RETENTION)
        .order_by(TokenFailureRow.at.desc(), TokenFailureRow.id.desc())
        .limit(MAX_RESULTS)
    )
    return [TokenFailure(r.error, r.reason, r.detail, r.at, r.source_ip) for r in rows]


def issued_to_another_client(session: Session, code_digest: str, app_id: int) -> bool:
    """Whether a code with ``code_digest`` exists for an app other than ``app_id``."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    AuthorizationCode.digest == code_digest, AuthorizationCode.app_id != app_id
                )
            )
        )
    )


def purge_batch(session: Session, *, now: dt.datetime, batch_size: int) -> int:
    """Delete at most ``batch_size`` failures older than :data:`RETENTION`; the count."""
    ids = list(
        session.scalars(
            select(TokenFailureRow.id).where(TokenFailureRow.at < now - RETENTION).limit(batch_size)
        )
    )
    if ids:
        session.execute(delete(TokenFailureRow).where(TokenFailureRow.id.in_(ids)))
    return len(ids)
