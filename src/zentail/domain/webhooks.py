"""Signed webhooks: an app's endpoint and secret, the outbox, and delivery bookkeeping.

Messages follow the Standard Webhooks specification: headers ``webhook-id``,
``webhook-timestamp`` (Unix seconds of the attempt) and ``webhook-signature:
v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, keyed with the base64-decoded part
of the app's ``whsec_…`` secret. The secret is stored sealed (:meth:`Keyring.seal`).

Events are written to ``webhook_deliveries`` in the caller's transaction (the install or
uninstall itself), so an event exists exactly when its change was committed. Delivery is at
least once: a node claims a due row with an atomic conditional ``UPDATE`` (a lease and a
fresh claim token), sends it, and records the outcome only if it still holds the claim.
Failures are retried after ``base × 2^(attempts-1)`` seconds until the message is older
than the give-up age, when it is marked ``failed``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zentail import crypto
from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.errors import InvalidInput, NotFound
from zentail.storage.models import App, Installation, WebhookDelivery, utcnow

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SECRET_BYTES = 32
EVENT_TYPES = ("app.installed", "app.uninstalled")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
MAX_URL_LENGTH = 2000
LOOPBACK_NAMES = {"localhost"}


# --- the endpoint and its secret ----------------------------------------------------------


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes (the spec asks for 24 to 64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64-decoded part after ``whsec_``."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def internal_addresses(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to that are private, loopback or link-local (or
    otherwise not public). A name that does not resolve counts as refused."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return [f"{host} (does not resolve)"]
    found = {str(info[4][0]) for info in infos}
    return sorted(a for a in found if _is_internal(ipaddress.ip_address(a.split("%")[0])))


def validate_url(url: str, *, production: bool, field: str = "webhook_url") -> str:
    """``https``, or ``http`` on a loopback host; no user info or fragment. In production
    mode, a host that resolves to a private, loopback or link-local address is refused
    (server-side request forgery), and so is plain ``http``. (Also the rule for an app's
    ``jwks_uri``, :mod:`zentail.domain.client_keys`.)"""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH or any(c in url for c in " \t\r\n\\"):
        raise InvalidInput(field, f"must be an absolute URL of at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise InvalidInput(field, f"is not a valid URL ({error})") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput(field, "must be an absolute http(s) URL")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise InvalidInput(field, "must not contain user information or a fragment")
    if parts.scheme == "http" and not _is_loopback_host(host):
        raise InvalidInput(field, "must use https (http is allowed only for loopback hosts)")
    if production:
        refused = internal_addresses(host, port)
        if refused:
            raise InvalidInput(
                field, f"must reach a public address (it resolves to {', '.join(refused)})"
            )
    return url


def set_webhook(
    session: Session,
    keyring: crypto.Keyring,
    app: App,
    *,
    url: str | None,
    actor: Actor,
    production: bool,
) -> str | None:
    """Set (or, with ``None``, remove) the app's webhook URL. Setting it issues a new signing
    secret, returned once; it is stored sealed only."""
    if url is None or not url.strip():
        app.webhook_url = None
        app.webhook_secret_sealed = None
        audit.record(session, "app.webhook_removed", actor, app_id=app.id)
        return None
    app.webhook_url = validate_url(url, production=production)
    secret = new_secret()
    app.webhook_secret_sealed = keyring.seal(secret)
    session.flush()
    audit.record(session, "app.webhook_set", actor, app_id=app.id, url=app.webhook_url)
    return secret


# --- the outbox ---------------------------------------------------------------------------


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def enqueue(session: Session, installation: Installation, app: App, event_type: str) -> None:
    """Write ``event_type`` about ``installation`` to the outbox, in the caller's
    transaction, if the app has a webhook URL."""
    assert event_type in EVENT_TYPES
    if app.webhook_url is None:
        return
    now = utcnow()
    body = {
        "type": event_type,
        "timestamp": _timestamp(now),
        "data": {
            "clientId": app.client_id,
            "accountId": installation.account_id,
            "installationId": installation.id,
        },
    }
    session.add(
        WebhookDelivery(
            app_id=app.id,
            message_id=f"msg_{secrets.token_hex(16)}",
            event_type=event_type,
            body=json.dumps(body, separators=(",", ":")),
            status=PENDING,
            next_attempt_at=now,
            created_at=now,
        )
    )


# --- signing ------------------------------------------------------------------------------


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of
    ``{id}.{timestamp}.{body}``."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# --- claiming and recording attempts ------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery this node holds until ``lease_until``: what to send and where."""

    id: int
    claim_token: str
    message_id: str
    body: str
    url: str
    secret: str


def _due(now: dt.datetime) -> Any:
    return (
        (WebhookDelivery.status == PENDING)
        & (WebhookDelivery.next_attempt_at <= now)
        & ((WebhookDelivery.lease_until.is_(None)) | (WebhookDelivery.lease_until < now))
    )


def any_due(session: Session, *, now: dt.datetime) -> bool:
    """Whether a delivery is due (a read, so that idle polling takes no write lock)."""
    return session.scalar(select(WebhookDelivery.id).where(_due(now)).limit(1)) is not None


def claim_due(
    session: Session,
    keyring: crypto.Keyring,
    *,
    now: dt.datetime,
    lease_seconds: float,
    limit: int,
) -> list[Claimed]:
    """Claim up to ``limit`` due deliveries. Each claim is one conditional ``UPDATE`` that
    succeeds for one node only: the row must still be pending, due, and not leased."""
    candidates = session.scalars(
        select(WebhookDelivery.id)
        .where(_due(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    claimed: list[Claimed] = []
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    for delivery_id in candidates:
        token = secrets.token_hex(16)
        won = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, _due(now))
            .values(lease_until=lease_until, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another node claimed it first
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        app = delivery.app
        secret = keyring.unseal(app.webhook_secret_sealed) if app.webhook_secret_sealed else None
        if app.webhook_url is None or secret is None:
            _finish(delivery, now, FAILED, None, "the app has no webhook URL any more")
            continue
        claimed.append(
            Claimed(delivery.id, token, delivery.message_id, delivery.body, app.webhook_url, secret)
        )
    return claimed


def _finish(
    delivery: WebhookDelivery,
    now: dt.datetime,
    status: str,
    status_code: int | None,
    error: str | None,
) -> None:
    delivery.status = status
    delivery.lease_until = None
    delivery.claim_token = None
    delivery.last_status_code = status_code
    delivery.last_error = error[:500] if error else None
    delivery.last_attempt_at = now


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code (``None`` when no answer came) and an error."""

    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def record_attempt(
    session: Session,
    claim: Claimed,
    outcome: Outcome,
    *,
    now: dt.datetime,
    retry_base_seconds: float,
    give_up_seconds: float,
) -> bool:
    """Record one attempt's outcome if this node still holds the claim; returns whether it
    did. A failure is retried after ``base × 2^(attempts-1)`` seconds, unless the message
    would then be older than ``give_up_seconds``: it is marked failed."""
    delivery = session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == claim.id, WebhookDelivery.claim_token == claim.claim_token
        )
    )
    if delivery is None:
        return False
    delivery.attempts += 1
    if outcome.ok:
        _finish(delivery, now, DELIVERED, outcome.status_code, None)
        delivery.delivered_at = now
        return True
    delay = dt.timedelta(seconds=retry_base_seconds * 2 ** (delivery.attempts - 1))
    next_attempt = now + delay
    give_up = next_attempt - delivery.created_at > dt.timedelta(seconds=give_up_seconds)
    _finish(delivery, now, FAILED if give_up else PENDING, outcome.status_code, outcome.error)
    delivery.next_attempt_at = next_attempt
    return True


# --- reading and redelivering -------------------------------------------------------------


def list_deliveries(session: Session, app: App, *, limit: int = 50) -> list[WebhookDelivery]:
    """The app's newest deliveries first."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.app_id == app.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def redeliver(session: Session, app: App, delivery_id: int, *, actor: Actor) -> WebhookDelivery:
    """Send a delivery of ``app`` again, now (same ``webhook-id``: receivers deduplicate on
    it). The retry clock restarts."""
    delivery = session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.app_id == app.id
        )
    )
    if delivery is None:
        raise NotFound("no such delivery")
    now = utcnow()
    delivery.status = PENDING
    delivery.next_attempt_at = now
    delivery.created_at = now
    delivery.lease_until = None
    delivery.claim_token = None
    audit.record(
        session, "webhook.redelivered", actor, app_id=app.id, message_id=delivery.message_id
    )
    return delivery
