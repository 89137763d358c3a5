"""Verifying the platform's signed webhooks (the Standard Webhooks scheme).

Each request carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (space-separated ``v1,<base64>`` values). The signature is
HMAC-SHA256, keyed with the base64-decoded part of the ``whsec_…`` secret, over
``{id}.{timestamp}.{raw body}``. Verify against the raw body bytes, before parsing them;
comparisons are constant-time, and a timestamp outside the tolerance is refused (replays).
Receivers should deduplicate on ``webhook-id``: delivery is at least once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zentail_partner._errors import InvalidWebhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
DEFAULT_TOLERANCE = 300


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event: ``type`` (``app.installed`` or ``app.uninstalled``), its
    ``timestamp`` (ISO 8601), ``data`` (``clientId``, ``accountId``, ``installationId``)
    and ``message_id`` (the ``webhook-id``, the same on every retry)."""

    message_id: str
    type: str
    timestamp: str
    data: dict[str, Any] = field(default_factory=dict)


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the webhook secret is not whsec_ followed by base64") from None


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {key.lower(): value for key, value in headers.items()}
    value = lowered.get(name)
    if not value:
        raise InvalidWebhook(f"missing {name} header")
    return value


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Verify one webhook request and return its event; raise :class:`InvalidWebhook` if the
    signature does not match, the timestamp is more than ``tolerance`` seconds away from
    ``now``, or the body is not an event."""
    key = _key(secret)
    message_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise InvalidWebhook("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise InvalidWebhook("webhook-timestamp is outside the tolerance")
    payload = body.encode() if isinstance(body, str) else body
    signed = message_id.encode() + b"." + raw_timestamp.encode() + b"." + payload
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    candidates = [part.partition(",") for part in signatures.split()]
    if not any(
        version == "v1" and hmac.compare_digest(value.encode(), expected.encode())
        for version, _, value in candidates
    ):
        raise InvalidWebhook("no matching v1 signature")
    try:
        event = json.loads(payload)
        return WebhookEvent(message_id, event["type"], event["timestamp"], dict(event["data"]))
    except (ValueError, KeyError, TypeError):
        raise InvalidWebhook("the body is not a webhook event") from None
