"""The outbox, on both databases: events are written in the install/uninstall transaction,
the secret is stored sealed, a delivery is claimed by one node at a time (50-way), and the
retry schedule backs off exponentially until it gives up."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update

from tests.support import ACTOR, TestApp, World
from zentail.domain import apps, installs, webhooks
from zentail.domain.errors import InvalidInput
from zentail.platform import Platform
from zentail.storage.models import App, WebhookDelivery, utcnow


def set_webhook(platform: Platform, app: TestApp, url: str = "https://hooks.example/in") -> str:
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
    return secret


def deliveries(platform: Platform, app: TestApp) -> list[WebhookDelivery]:
    with platform.db.session() as session:
        rows = list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.app_id == app.id)
                .order_by(WebhookDelivery.id)
            )
        )
        session.expunge_all()
        return rows


def test_install_and_uninstall_write_their_events_with_the_documented_body(
    platform: Platform, world: World
) -> None:
    app, account = world.app(), world.account()
    set_webhook(platform, app)
    world.install(app, account)
    world.install(app, account)  # installing again starts nothing new: no second event
    world.uninstall(app, account)
    rows = deliveries(platform, app)
    assert [row.event_type for row in rows] == ["app.installed", "app.uninstalled"]
    body = json.loads(rows[0].body)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "app.installed"
    assert body["timestamp"].endswith("Z")
    assert body["data"]["clientId"] == app.client_id
    assert body["data"]["accountId"] == account.id
    assert body["data"]["installationId"] == json.loads(rows[1].body)["data"]["installationId"]
    assert {row.status for row in rows} == {"pending"}
    assert len({row.message_id for row in rows}) == 2


def test_an_app_without_a_webhook_gets_no_events(platform: Platform, world: World) -> None:
    app, account = world.app(), world.account()
    world.install(app, account)
    assert deliveries(platform, app) == []


def test_the_event_exists_only_if_the_install_committed(platform: Platform, world: World) -> None:
    app, account = world.app(), world.account()
    set_webhook(platform, app)

    def install_then_fail() -> None:
        with platform.db.session(write=True) as session:
            installs.install(
                session,
                platform.keyring,
                app=apps.get_app(session, app.client_id),
                account_id=account.id,
                actor=ACTOR,
                code_ttl=60,
            )
            written = select(WebhookDelivery).where(WebhookDelivery.app_id == app.id)
            assert session.scalars(written).all()
            raise RuntimeError("the install fails after writing")

    with pytest.raises(RuntimeError):
        install_then_fail()
    assert deliveries(platform, app) == []


def test_the_signing_secret_is_stored_sealed_never_in_the_clear(
    platform: Platform, world: World
) -> None:
    app = world.app()
    secret = set_webhook(platform, app)
    with platform.db.session() as session:
        row = session.get(App, app.id)
        assert row is not None
        sealed = row.webhook_secret_sealed
    assert sealed is not None
    assert secret.encode() not in sealed
    assert secret.removeprefix("whsec_").encode() not in sealed
    assert platform.keyring.unseal(sealed) == secret


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example/in", "ftp://hooks.example", "https://u:p@hooks.example/", "/rel"],
)
def test_webhook_urls_must_be_https_or_loopback_http(url: str) -> None:
    with pytest.raises(InvalidInput):
        webhooks.validate_url(url, production=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/in",
        "https://10.0.0.5/in",
        "https://192.168.1.1/in",
        "https://169.254.169.254/latest",
        "https://[::1]/in",
        "https://localhost/in",
        "http://127.0.0.1:9000/in",
    ],
)
def test_production_refuses_urls_resolving_to_private_loopback_or_link_local(url: str) -> None:
    with pytest.raises(InvalidInput):
        webhooks.validate_url(url, production=True)


def test_development_accepts_loopback_http_and_https() -> None:
    assert webhooks.validate_url("http://127.0.0.1:9000/in", production=False)
    assert webhooks.validate_url("https://localhost/in", production=False)


def test_production_accepts_a_public_address() -> None:
    assert webhooks.validate_url("https://93.184.215.14/in", production=True)


def _make_due(platform: Platform, app: TestApp, at: dt.datetime | None = None) -> None:
    """Make the app's deliveries due at ``at`` (a second ago by default)."""
    due = at or utcnow() - dt.timedelta(seconds=1)
    with platform.db.session(write=True) as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.app_id == app.id)
            .values(next_attempt_at=due)
        )


def test_fifty_concurrent_claimers_claim_a_delivery_once(platform: Platform, world: World) -> None:
    app, account = world.app(), world.account()
    set_webhook(platform, app)
    world.install(app, account)
    # Due an hour from now, and claimed as of then: a server sharing this database (the
    # session's live server) delivers what is due now, and must not take it first.
    later = utcnow() + dt.timedelta(hours=1)
    _make_due(platform, app, at=later - dt.timedelta(seconds=1))
    (delivery,) = deliveries(platform, app)

    def claim(_: int) -> list[int]:
        with platform.db.session(write=True) as session:
            claimed = webhooks.claim_due(
                session, platform.keyring, now=later, lease_seconds=60, limit=1000
            )
        return [c.id for c in claimed if c.id == delivery.id]

    with ThreadPoolExecutor(max_workers=50) as pool:
        won = [ids for ids in pool.map(claim, range(50)) if ids]
    assert won == [[delivery.id]]


def test_failures_back_off_exponentially_then_give_up(platform: Platform, world: World) -> None:
    app, account = world.app(), world.account()
    set_webhook(platform, app)
    world.install(app, account)
    _make_due(platform, app)
    now = utcnow()
    waits = []
    for _ in range(6):
        with platform.db.session(write=True) as session:
            (claim,) = [
                c
                for c in webhooks.claim_due(
                    session, platform.keyring, now=now, lease_seconds=60, limit=1000
                )
                if c.id == deliveries(platform, app)[0].id
            ] or [None]
            assert claim is not None
            assert webhooks.record_attempt(
                session,
                claim,
                webhooks.Outcome(503, "not 2xx"),
                now=now,
                retry_base_seconds=5,
                give_up_seconds=100,
            )
        (row,) = deliveries(platform, app)
        if row.status == "failed":
            break
        waits.append(round((row.next_attempt_at - now).total_seconds()))
        now = row.next_attempt_at
    assert waits == [5, 10, 20, 40]  # the next (80 s) would pass the give-up age of 100 s
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 5, 503)


def test_a_stale_claim_cannot_record_over_a_newer_one(platform: Platform, world: World) -> None:
    app, account = world.app(), world.account()
    set_webhook(platform, app)
    world.install(app, account)
    _make_due(platform, app)
    (delivery,) = deliveries(platform, app)
    with platform.db.session(write=True) as session:
        (first,) = [
            c
            for c in webhooks.claim_due(
                session, platform.keyring, now=utcnow(), lease_seconds=0.001, limit=1000
            )
            if c.id == delivery.id
        ]
    later = utcnow() + dt.timedelta(seconds=1)  # the first lease has expired
    with platform.db.session(write=True) as session:
        second = [
            c
            for c in webhooks.claim_due(
                session, platform.keyring, now=later, lease_seconds=60, limit=1000
            )
            if c.id == first.id
        ]
    assert second
    with platform.db.session(write=True) as session:
        stale = webhooks.record_attempt(
            session,
            first,
            webhooks.Outcome(204),
            now=later,
            retry_base_seconds=5,
            give_up_seconds=100,
        )
    assert stale is False
    assert deliveries(platform, app)[0].attempts == 0
