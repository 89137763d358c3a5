"""Webhook delivery by real ``zentail serve`` processes to a real local HTTP receiver, on
both databases: signed as the Standard Webhooks spec says, retried after a failure, and
still delivered after the server is killed and started again while a delivery is pending.

Each test has a database of its own, so that no other server process of the test session
(the shared ``live_server``) can deliver its messages: the servers started here are the only
senders."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen

import pytest
from sqlalchemy import select

import zentail_partner as partner
from tests.conftest import _postgres_database
from tests.support import (
    ACTOR,
    TestApp,
    World,
    free_port,
    running_process,
    settings_env,
)
from tests.webhooks.receiver import Receiver, receiver
from zentail.domain import apps, webhooks
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.migrate import upgrade
from zentail.storage.models import WebhookDelivery

pytestmark = pytest.mark.server


@pytest.fixture
def own(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Platform, World]]:
    """A freshly migrated database of the test's backend, its settings, platform and world."""
    if settings.database_url.startswith("sqlite"):
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'own.db'}"])
    else:
        urls = _postgres_database(f"zentail_hooks_{uuid.uuid4().hex[:12]}")
    for url in urls:
        upgrade(url)
        own_settings = settings.model_copy(update={"database_url": url})
        platform = Platform(own_settings)
        try:
            yield own_settings, platform, World(platform)
        finally:
            platform.close()


@contextmanager
def serve(
    settings: Settings, log_path: Path, retry_base: float
) -> Iterator[tuple[str, Popen[bytes]]]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = settings_env(settings) | {
        "ZENTAIL_ISSUER": base_url,
        "ZENTAIL_WEBHOOK_RETRY_BASE_SECONDS": str(retry_base),
        "ZENTAIL_WEBHOOK_POLL_SECONDS": "0.1",
    }
    command = [sys.executable, "-m", "zentail", "serve", "--port", str(port), "--no-migrate"]
    with running_process(command, env, log_path, f"{base_url}/healthz") as process:
        yield base_url, process


def hooked_app(platform: Platform, world: World, url: str) -> tuple[TestApp, str]:
    app = world.app()
    with platform.db.session(write=True) as session:
        secret = webhooks.set_webhook(
            session,
            platform.keyring,
            apps.get_app(session, app.client_id),
            url=url,
            actor=ACTOR,
            production=False,
        )
    assert secret is not None
    return app, secret


def delivery(platform: Platform, app: TestApp, event_type: str) -> WebhookDelivery:
    with platform.db.session() as session:
        row = session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.app_id == app.id, WebhookDelivery.event_type == event_type
            )
        )
        assert row is not None
        session.expunge(row)
        return row


def wait_until(condition: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def verified(hook: Receiver, index: int, secret: str) -> partner.WebhookEvent:
    request = hook.received[index]
    return partner.verify_webhook(request.headers, request.body, secret)


def test_a_receiver_that_fails_first_gets_the_signed_event_on_the_retry(
    own: tuple[Settings, Platform, World], tmp_path: Path
) -> None:
    settings, platform, world = own
    with receiver(statuses=[500]) as hook:
        app, secret = hooked_app(platform, world, hook.url)
        account = world.account()
        with serve(settings, tmp_path / "server.log", retry_base=0.2):
            world.install(app, account)
            first, second = hook.wait_for(2)
            world.uninstall(app, account)
            hook.wait_for(3)
    assert (first.answered, second.answered) == (500, 204)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["content-type"] == "application/json"
    event = verified(hook, 1, secret)
    assert event.type == "app.installed"
    assert event.data["clientId"] == app.client_id
    assert event.data["accountId"] == account.id
    assert verified(hook, 2, secret).type == "app.uninstalled"
    row = delivery(platform, app, "app.installed")
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 2, 204)
    assert row.body.encode() == second.body


@pytest.mark.serial
def test_a_pending_delivery_survives_a_killed_server_and_arrives_after_the_restart(
    own: tuple[Settings, Platform, World], tmp_path: Path
) -> None:
    settings, platform, world = own
    retry_base = 3.0
    with receiver(statuses=[503]) as hook:
        app, secret = hooked_app(platform, world, hook.url)
        account = world.account()
        with serve(settings, tmp_path / "first.log", retry_base) as (_, first_server):
            world.install(app, account)
            hook.wait_for(1)
            wait_until(lambda: delivery(platform, app, "app.installed").attempts == 1)
            first_server.kill()  # no shutdown: the process dies with a retry pending
            first_server.wait()
        pending = delivery(platform, app, "app.installed")
        assert (pending.status, pending.last_status_code) == ("pending", 503)
        time.sleep(retry_base + 1)  # the retry is due, and nobody is there to send it
        assert len(hook.received) == 1
        with serve(settings, tmp_path / "second.log", retry_base):
            hook.wait_for(2)
            wait_until(lambda: delivery(platform, app, "app.installed").status == "delivered")
            time.sleep(1)  # nothing more is sent once it is delivered
    assert [request.answered for request in hook.received] == [503, 204]
    assert verified(hook, 1, secret).type == "app.installed"
    row = delivery(platform, app, "app.installed")
    assert row.attempts == len(hook.received) == 2  # one request per claimed attempt
    body = json.loads(hook.received[1].body)
    assert body["data"]["installationId"] == verified(hook, 1, secret).data["installationId"]
