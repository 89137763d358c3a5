"""Install and uninstall: what the platform's Install button and ``zentail install`` do.

Install (RFC 6749 §4.1.2, platform-initiated): check that the app is active, record the
installation, mint a one-time code bound to (app, account, redirect URI, scopes), and build
the redirect ``<redirect URI>?client_id=…&code=…&timestamp=…&hmac=…``. A partner-initiated
authorization (``/v1/authorize``) installs through the same :func:`issue_code`, with the scopes
it asked for and its PKCE challenge, and builds its own redirect.

An install that starts an installation (new, or after an uninstall) and an uninstall write
their ``app.installed`` / ``app.uninstalled`` webhook event to the outbox in the same
transaction (:mod:`zentail.domain.webhooks`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from zentail import crypto, generations
from zentail.domain import audit, webhooks
from zentail.domain.actors import Actor
from zentail.domain.apps import valid_secrets
from zentail.domain.errors import Conflict, InvalidInput, NotFound
from zentail.oauth import authorize, callback_signature
from zentail.storage.models import (
    AccessToken,
    App,
    AuthorizationCode,
    Installation,
    RefreshToken,
    utcnow,
)
from zentail.storage.tenancy import AccountScope


@dataclass(frozen=True)
class InstallResult:
    installation: Installation
    redirect_url: str


@dataclass(frozen=True)
class IssuedCode:
    """An installation and the one-time code just minted for it (shown once, never stored)."""

    installation: Installation
    code: str
    issued_at: dt.datetime


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
    issued = issue_code(
        session, keyring, app=app, account_id=account_id, actor=actor, code_ttl=code_ttl
    )
    redirect_url = _redirect_url(keyring, app, issued.code, issued.issued_at)
    return InstallResult(issued.installation, redirect_url)


def issue_code(
    session: Session,
    keyring: crypto.Keyring,
    *,
    app: App,
    account_id: int,
    actor: Actor,
    code_ttl: int,
    scopes: str | None = None,
    code_challenge: str | None = None,
) -> IssuedCode:
    """Install ``app`` on the account (new, again after an uninstall, or as it is) and mint a
    code bound to the app, account, registered redirect URI and ``scopes`` (the app's
    registered scopes when ``None``; otherwise a subset of them), with the S256
    ``code_challenge`` of a partner-initiated request (RFC 7636 §4.4), if any. Audited as
    ``install`` and ``code.issued``, whichever entry point asked."""
    if app.status != "active":
        raise Conflict(f"{app.name} is suspended and cannot be installed")
    granted = app.scopes if scopes is None else scopes
    if not set(granted.split()) <= set(app.scopes.split()):
        raise InvalidInput("scopes", "more scopes than the app is registered for")
    now = utcnow()
    installation = _installation(session, app, account_id, actor, granted, now)
    code = crypto.new_authorization_code()
    code_row = AuthorizationCode(
        digest=keyring.digest(code),
        account_id=account_id,
        app_id=app.id,
        installation_id=installation.id,
        redirect_uri=app.redirect_uri,
        scopes=installation.scopes,
        code_challenge=code_challenge,
        expires_at=now + dt.timedelta(seconds=code_ttl),
    )
    session.add(code_row)
    session.flush()
    audit.record(
        session, "code.issued", actor, account_id=account_id, app_id=app.id, code_id=code_row.id
    )
    return IssuedCode(installation, code, now)


def _installation(
    session: Session, app: App, account_id: int, actor: Actor, scopes: str, now: dt.datetime
) -> Installation:
    """The app's installation on the account, created or started again, with ``scopes``;
    audited, and, when it starts, ``app.installed`` written to the outbox."""
    installation = session.scalar(
        select(Installation).where(
            Installation.app_id == app.id, Installation.account_id == account_id
        )
    )
    started = installation is None or installation.uninstalled_at is not None
    if installation is None:
        installation = Installation(app_id=app.id, account_id=account_id, scopes=scopes)
        session.add(installation)
    elif installation.uninstalled_at is not None:
        installation.uninstalled_at = None
        installation.installed_at = now
    installation.scopes = scopes
    installation.installed_by_user_id = actor.user_id
    session.flush()
    audit.record(session, "install", actor, account_id=account_id, app_id=app.id)
    if started:
        webhooks.enqueue(session, installation, app, "app.installed")
    return installation


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
    return authorize.response_location(app.redirect_uri, params)


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
    """Uninstall: revoke the installation's access and refresh tokens and unused codes at
    once (RFC 7009 §2.1 spirit; Shopify-style immediate revocation)."""
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
        update(RefreshToken)
        .where(RefreshToken.installation_id == installation.id, RefreshToken.revoked_at.is_(None))
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
    webhooks.enqueue(session, installation, app, "app.uninstalled")
    return installation
