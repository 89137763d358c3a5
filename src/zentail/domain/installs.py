"""Install and uninstall: what the platform's Install button and ``zentail install`` do.

Install (RFC 6749 §4.1.2, platform-initiated): check that the app is active, record the
installation, mint a one-time code bound to (app, account, redirect URI, scopes), and build
the redirect ``<redirect URI>?client_id=…&code=…&timestamp=…&hmac=…``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from zentail import crypto, generations
from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.apps import valid_secrets
from zentail.domain.errors import Conflict, NotFound
from zentail.oauth import callback_signature
from zentail.storage.models import (
    AccessToken,
    App,
    AuthorizationCode,
    Installation,
    utcnow,
)
from zentail.storage.tenancy import AccountScope


@dataclass(frozen=True)
class InstallResult:
    installation: Installation
    redirect_url: str


def install(
    session: Session,
    keyring: crypto.Keyring,
    *,
    app: App,
    account_id: int,
    actor: Actor,
    code_ttl: int,
) -> InstallResult:
    """Install ``app`` on the account and return where to send the browser (with a 303)."""
    if app.status != "active":
        raise Conflict(f"{app.name} is suspended and cannot be installed")
    now = utcnow()
    installation = session.scalar(
        select(Installation).where(
            Installation.app_id == app.id, Installation.account_id == account_id
        )
    )
    if installation is None:
        installation = Installation(app_id=app.id, account_id=account_id, scopes=app.scopes)
        session.add(installation)
    elif installation.uninstalled_at is not None:
        installation.uninstalled_at = None
        installation.installed_at = now
    installation.scopes = app.scopes
    installation.installed_by_user_id = actor.user_id
    session.flush()

    code = crypto.new_authorization_code()
    code_row = AuthorizationCode(
        digest=keyring.digest(code),
        account_id=account_id,
        app_id=app.id,
        installation_id=installation.id,
        redirect_uri=app.redirect_uri,
        scopes=installation.scopes,
        expires_at=now + dt.timedelta(seconds=code_ttl),
    )
    session.add(code_row)
    session.flush()
    audit.record(session, "install", actor, account_id=account_id, app_id=app.id)
    audit.record(
        session, "code.issued", actor, account_id=account_id, app_id=app.id, code_id=code_row.id
    )
    return InstallResult(installation, _redirect_url(keyring, app, code, now))


def _redirect_url(keyring: crypto.Keyring, app: App, code: str, now: dt.datetime) -> str:
    """The callback URL. Parameters are appended to the registered URI as it is, with no
    extra ``/`` (see docs/decisions/0003-documentation-quirks.md, Q4)."""
    params = {"client_id": app.client_id, "code": code, "timestamp": str(int(time.time()))}
    signing_secret = next(
        (s for s in map(keyring.unseal, (r.sealed for r in valid_secrets(app, now))) if s), None
    )
    if signing_secret is not None:
        # The signature covers every parameter the partner will see, the registered URI's
        # own query included (docs/callback-signature.md).
        registered = dict(parse_qsl(urlsplit(app.redirect_uri).query, keep_blank_values=True))
        params[callback_signature.SIGNATURE_PARAM] = callback_signature.sign(
            registered | params, signing_secret
        )
    separator = "&" if "?" in app.redirect_uri else "?"
    return f"{app.redirect_uri}{separator}{urlencode(params)}"


def get_installation(session: Session, *, app: App, account_id: int) -> Installation:
    installation = session.scalar(
        select(Installation).where(
            Installation.app_id == app.id,
            Installation.account_id == account_id,
            Installation.uninstalled_at.is_(None),
        )
    )
    if installation is None:
        raise NotFound(f"{app.name} is not installed on account {account_id}")
    return installation


def list_installations(session: Session, *, account_id: int) -> list[Installation]:
    """Active installations of an account, newest first."""
    return list(
        session.scalars(
            select(Installation)
            .where(Installation.account_id == account_id, Installation.uninstalled_at.is_(None))
            .order_by(Installation.installed_at.desc())
        )
    )


def list_installations_with_last_use(
    scope: AccountScope,
) -> list[tuple[Installation, dt.datetime | None]]:
    """Active installations of the scope's account, newest first, each with the last time
    one of its tokens was used (``None``: never). The app and installer are loaded."""
    statement = (
        scope.select(Installation)
        .add_columns(func.max(AccessToken.last_used_at))
        .outerjoin(AccessToken, AccessToken.installation_id == Installation.id)
        .where(Installation.uninstalled_at.is_(None))
        .group_by(Installation.id)
        .order_by(Installation.installed_at.desc(), Installation.id.desc())
        .options(selectinload(Installation.app), selectinload(Installation.installed_by))
    )
    return [(row[0], row[1]) for row in scope.session.execute(statement)]


def uninstall(session: Session, *, app: App, account_id: int, actor: Actor) -> Installation:
    """Uninstall: revoke the installation's tokens and unused codes at once (RFC 7009 §2.1
    spirit; Shopify-style immediate revocation)."""
    installation = get_installation(session, app=app, account_id=account_id)
    now = utcnow()
    installation.uninstalled_at = now
    generations.after_commit(session)
    revoked = session.execute(
        update(AccessToken)
        .where(AccessToken.installation_id == installation.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.installation_id == installation.id,
            AuthorizationCode.consumed_at.is_(None),
        )
        .values(consumed_at=now)
    )
    audit.record(
        session,
        "uninstall",
        actor,
        account_id=account_id,
        app_id=app.id,
        tokens_revoked=revoked.rowcount,  # type: ignore[attr-defined]
    )
    return installation
