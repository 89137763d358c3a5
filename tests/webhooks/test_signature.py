"""The Standard Webhooks signature: the platform signs, the partner SDK verifies
(constant-time, with a timestamp tolerance)."""

from __future__ import annotations

import base64
import json

import pytest

import zentail_partner as partner
from zentail.domain import webhooks

# The test vector published with the Standard Webhooks specification.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID, SPEC_TIMESTAMP = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330
SPEC_BODY = '{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

EVENT = json.dumps(
    {
        "type": "app.installed",
        "timestamp": "2026-12-01T10:00:00.000Z",
        "data": {"clientId": "abc", "accountId": 7, "installationId": 9},
    },
    separators=(",", ":"),
)


def _headers(secret: str, body: str, timestamp: int, message_id: str = "msg_1") -> dict[str, str]:
    return {
        "Webhook-Id": message_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": webhooks.sign(secret, message_id, timestamp, body),
    }


def test_the_platform_signs_the_specifications_test_vector() -> None:
    assert webhooks.sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_new_secrets_are_whsec_and_at_least_24_random_bytes() -> None:
    first, second = webhooks.new_secret(), webhooks.new_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) >= 24
    assert first != second


def test_the_sdk_verifies_a_platform_signature_and_returns_the_event() -> None:
    secret = webhooks.new_secret()
    headers = _headers(secret, EVENT, 1_800_000_000)
    event = partner.verify_webhook(headers, EVENT.encode(), secret, now=1_800_000_010)
    assert event == partner.WebhookEvent(
        "msg_1",
        "app.installed",
        "2026-12-01T10:00:00.000Z",
        {"clientId": "abc", "accountId": 7, "installationId": 9},
    )


def test_one_matching_signature_among_several_is_enough() -> None:
    secret = webhooks.new_secret()
    headers = _headers(secret, EVENT, 1_800_000_000)
    headers["Webhook-Signature"] = "v1,bm90LWl0 " + headers["Webhook-Signature"]
    assert partner.verify_webhook(headers, EVENT, secret, now=1_800_000_000).type == "app.installed"


@pytest.mark.parametrize(
    "tamper",
    ["body", "id", "timestamp", "secret", "version", "missing"],
)
def test_anything_altered_is_refused(tamper: str) -> None:
    secret, body, now = webhooks.new_secret(), EVENT, 1_800_000_000
    headers = _headers(secret, body, now)
    if tamper == "body":
        body = body.replace('"accountId":7', '"accountId":8')
    elif tamper == "id":
        headers["Webhook-Id"] = "msg_2"
    elif tamper == "timestamp":
        headers["Webhook-Timestamp"] = str(now + 1)
    elif tamper == "secret":
        secret = webhooks.new_secret()
    elif tamper == "version":
        headers["Webhook-Signature"] = headers["Webhook-Signature"].replace("v1,", "v2,")
    else:
        del headers["Webhook-Signature"]
    with pytest.raises(partner.InvalidWebhook):
        partner.verify_webhook(headers, body, secret, now=now)


@pytest.mark.parametrize(
    ("skew", "accepted"), [(299, True), (-299, True), (301, False), (-301, False)]
)
def test_timestamps_outside_the_tolerance_are_refused(skew: int, accepted: bool) -> None:
    secret, sent = webhooks.new_secret(), 1_800_000_000
    headers = _headers(secret, EVENT, sent)
    if accepted:
        partner.verify_webhook(headers, EVENT, secret, now=sent + skew)
    else:
        with pytest.raises(partner.InvalidWebhook, match="tolerance"):
            partner.verify_webhook(headers, EVENT, secret, now=sent + skew)


def test_a_signed_body_that_is_not_an_event_is_refused() -> None:
    secret = webhooks.new_secret()
    with pytest.raises(partner.InvalidWebhook, match="not a webhook event"):
        partner.verify_webhook(_headers(secret, "[]", 5), "[]", secret, now=5)
