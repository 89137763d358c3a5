"""The app registry: partner applications, their credentials and their status."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zentail import crypto, generations
from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.errors import Conflict, InvalidInput, NotFound
from zentail.domain.scopes import join_scopes, parse_scopes
from zentail.domain.users import normalize_email
from zentail.storage.models import AccessToken, App, AppSecret, utcnow

LOGO_MIN_SIDE = 50
LOGO_MAX_BYTES = 1024 * 1024
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
LOOPBACK_HOSTS = {"localhost"}


@dataclass(frozen=True)
class Credentials:
    """What a partner receives, once: the client secret is not retrievable afterwards."""

    client_id: str
    client_secret: str


def validate_redirect_uri(uri: str) -> str:
    """Accept only absolute ``https`` URIs, or ``http`` on a loopback host (RFC 9700 §2.6,
    RFC 8252 §7.3), with no fragment, user info or wildcard (RFC 6749 §3.1.2)."""
    uri = uri.strip()
    field = "redirect_uri"
    if not uri or len(uri) > 2000:
        raise InvalidInput(field, "must be an absolute URI of at most 2000 characters")
    if any(char in uri for char in " *\t\r\n\\"):
        raise InvalidInput(field, "must not contain spaces, wildcards or backslashes")
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(field, f"is not a valid URI ({error})") from None
    del port
    host = (parts.hostname or "").lower()
    if not parts.scheme or not host:
        raise InvalidInput(field, "must be absolute (scheme and host)")
    if parts.fragment or uri.endswith("#"):
        raise InvalidInput(field, "must not have a fragment (RFC 6749 §3.1.2)")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(field, "must not contain user information")
    _check_redirect_query(parts.query)
    if parts.scheme == "https":
        return uri
    if parts.scheme == "http" and _is_loopback(host):
        return uri
    raise InvalidInput(field, "must use https (http is allowed only for loopback hosts)")


CALLBACK_PARAMETERS = frozenset({"client_id", "code", "timestamp", "hmac"})


def _check_redirect_query(query: str) -> None:
    """The install callback appends its own parameters and signs every parameter by name
    (docs/callback-signature.md), so a registered query may neither use those names nor
    repeat a name."""
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    if len(names) != len(set(names)):
        raise InvalidInput("redirect_uri", "must not repeat a query parameter")
    reserved = sorted(CALLBACK_PARAMETERS.intersection(names))
    if reserved:
        raise InvalidInput("redirect_uri", f"must not use the query parameter {reserved[0]}")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_logo(data: bytes) -> str:
    """Check that ``data`` is a square image of at least 50×50 px; return its content type."""
    if len(data) > LOGO_MAX_BYTES:
        raise InvalidInput("logo", "must be at most 1 MiB")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            width, height, image_format = image.width, image.height, image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput("logo", "is not a PNG, JPEG, GIF or WebP image") from None
    if image_format not in LOGO_FORMATS:
        raise InvalidInput("logo", "must be a PNG, JPEG, GIF or WebP image")
    if width != height:
        raise InvalidInput("logo", f"must be square (got {width}×{height} px)")
    if width < LOGO_MIN_SIDE:
        raise InvalidInput("logo", f"must be at least {LOGO_MIN_SIDE}×{LOGO_MIN_SIDE} px")
    return LOGO_FORMATS[image_format]


def _validate_name(session: Session, name: str, *, exclude_app_id: int | None = None) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name", "must be 1 to 200 characters")
    statement = select(App.id).where(func.lower(App.name) == name.lower())
    if exclude_app_id is not None:
        statement = statement.where(App.id != exclude_app_id)
    if session.scalar(statement):
        raise Conflict(f"an app named {name!r} already exists")
    return name


def _new_secret(keyring: crypto.Keyring, secret: str | None = None) -> tuple[str, AppSecret]:
    secret = secret or crypto.new_client_secret()
    return secret, AppSecret(digest=keyring.digest(secret), sealed=keyring.seal(secret))


class Unchanged:
    """The type of :data:`UNCHANGED`: a field left as it is by :func:`update_app`."""


UNCHANGED = Unchanged()
MIN_TOKEN_LIFETIME = 60
MAX_TOKEN_LIFETIME = 365 * 24 * 3600


def validate_token_lifetime(seconds: int | None) -> int | None:
    """An access-token lifetime of 60 seconds to a year, or ``None`` (long-lived tokens,
    no refresh token: the documented flow)."""
    if seconds is None:
        return None
    if not MIN_TOKEN_LIFETIME <= seconds <= MAX_TOKEN_LIFETIME:
        raise InvalidInput(
            "token_lifetime_seconds",
            f"must be {MIN_TOKEN_LIFETIME} to {MAX_TOKEN_LIFETIME} seconds",
        )
    return seconds


def parse_token_lifetime(text: str) -> int | None:
    """A lifetime as typed in a form or on the command line: seconds, or empty or ``none``
    for long-lived tokens; validated by :func:`validate_token_lifetime`."""
    value = text.strip().lower()
    if value in ("", "none"):
        return None
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput("token_lifetime_seconds", "must be a number of seconds or none")
    return validate_token_lifetime(int(value))


def register_app(
    session: Session,
    keyring: crypto.Keyring,
    *,
    name: str,
    contact_email: str,
    redirect_uri: str,
    scopes: str | list[str],
    actor: Actor,
    description: str = "",
    logo: bytes | None = None,
    fixed_credentials: Credentials | None = None,
    token_lifetime_seconds: int | None = None,
) -> tuple[App, Credentials]:
    """Register a partner app and return it with its credentials (shown once).

    ``fixed_credentials`` is for the sandbox's demo data only, which registers the example
    credentials from Zentail's documentation.
    """
    app = App(
        client_id=fixed_credentials.client_id if fixed_credentials else crypto.new_client_id(),
        name=_validate_name(session, name),
        contact_email=normalize_email(contact_email, "contact_email"),
        redirect_uri=validate_redirect_uri(redirect_uri),
        scopes=join_scopes(parse_scopes(scopes)),
        description=description.strip(),
        token_lifetime_seconds=validate_token_lifetime(token_lifetime_seconds),
    )
    if logo:
        app.logo_content_type = validate_logo(logo)
        app.logo = logo
    secret, secret_row = _new_secret(
        keyring, fixed_credentials.client_secret if fixed_credentials else None
    )
    app.secrets.append(secret_row)
    session.add(app)
    session.flush()
    audit.record(session, "app.registered", actor, app_id=app.id, client_id=app.client_id)
    return app, Credentials(client_id=app.client_id, client_secret=secret)


def update_app(
    session: Session,
    app: App,
    *,
    actor: Actor,
    name: str | None = None,
    contact_email: str | None = None,
    redirect_uri: str | None = None,
    scopes: str | list[str] | None = None,
    description: str | None = None,
    logo: bytes | None = None,
    token_lifetime_seconds: int | Unchanged | None = UNCHANGED,
) -> App:
    """Change registration fields; ``None`` leaves a field as it is (but for
    ``token_lifetime_seconds``, where ``None`` switches expiring tokens off and
    :data:`UNCHANGED` leaves it)."""
    changed: list[str] = []
    if name is not None and name.strip() != app.name:
        app.name = _validate_name(session, name, exclude_app_id=app.id)
        changed.append("name")
    if contact_email is not None:
        app.contact_email = normalize_email(contact_email, "contact_email")
        changed.append("contact_email")
    if redirect_uri is not None and redirect_uri.strip() != app.redirect_uri:
        app.redirect_uri = validate_redirect_uri(redirect_uri)
        changed.append("redirect_uri")
    if scopes is not None:
        app.scopes = join_scopes(parse_scopes(scopes))
        changed.append("scopes")
    if description is not None:
        app.description = description.strip()
        changed.append("description")
    if logo:
        app.logo_content_type = validate_logo(logo)
        app.logo = logo
        changed.append("logo")
    if not isinstance(token_lifetime_seconds, Unchanged):
        app.token_lifetime_seconds = validate_token_lifetime(token_lifetime_seconds)
        changed.append("token_lifetime_seconds")
    generations.after_commit(session)
    audit.record(session, "app.updated", actor, app_id=app.id, fields=changed)
    return app


def find_app(session: Session, client_id: str) -> App | None:
    return session.scalar(select(App).where(App.client_id == client_id))


def get_app(session: Session, client_id: str) -> App:
    app = find_app(session, client_id)
    if app is None:
        raise NotFound(f"no app with client ID {client_id!r}")
    return app


def list_apps(session: Session, *, active_only: bool = False) -> list[App]:
    statement = select(App).order_by(App.name)
    if active_only:
        statement = statement.where(App.status == "active")
    return list(session.scalars(statement))


def valid_secrets(app: App, now: dt.datetime) -> list[AppSecret]:
    """Secrets that authenticate at ``now``, oldest first."""
    return [s for s in app.secrets if s.expires_at is None or s.expires_at > now]


def rotate_secret(
    session: Session, keyring: crypto.Keyring, app: App, *, grace_seconds: int, actor: Actor
) -> tuple[str, dt.datetime]:
    """Issue a new secret; the current ones keep working for ``grace_seconds`` more.

    Returns the new secret (shown once) and when the old ones stop working. With a grace
    of 0 the old secrets stop at once.
    """
    now = utcnow()
    old_until = now + dt.timedelta(seconds=grace_seconds)
    for old in valid_secrets(app, now):
        if old.expires_at is None or old.expires_at > old_until:
            old.expires_at = old_until
    secret, secret_row = _new_secret(keyring)
    app.secrets.append(secret_row)
    session.flush()
    generations.after_commit(session)
    audit.record(
        session,
        "app.secret_rotated",
        actor,
        app_id=app.id,
        old_secrets_expire_at=old_until.isoformat(),
    )
    return secret, old_until


def set_status(session: Session, app: App, *, active: bool, actor: Actor) -> App:
    """Suspend or resume an app. A suspended app cannot be installed, cannot exchange codes,
    and its tokens are refused at once (the token check reads the app's status)."""
    status = "active" if active else "suspended"
    if app.status != status:
        app.status = status
        generations.after_commit(session)
        audit.record(session, "app.resumed" if active else "app.suspended", actor, app_id=app.id)
    return app


def delete_app(session: Session, app: App, *, actor: Actor) -> None:
    """Delete an app with its installations, codes and tokens."""
    now = utcnow()
    for token in session.scalars(
        select(AccessToken).where(AccessToken.app_id == app.id, AccessToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    generations.after_commit(session)
    audit.record(session, "app.deleted", actor, app_id=None, client_id=app.client_id)
    session.delete(app)
