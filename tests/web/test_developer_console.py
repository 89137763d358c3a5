"""The developer console, on both databases: a partner's developer logs in at /login, sees
only their organisation's apps, edits them, rotates the secret (the old one keeps working
through the grace period), sets a webhook, reads and redelivers deliveries, and requests
scope changes that staff approve. Account pages, the staff console and other partners'
apps stay out of reach (403 / 404, as everywhere in the web platform)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support import ACTOR, PASSWORD, TestApp, World, exchange
from tests.web.pages import csrf_token, log_in, shown_once, submit
from zentail.domain import apps, partners, webhooks
from zentail.platform import Platform
from zentail.storage.models import App, WebhookDelivery


@dataclass(frozen=True)
class TestPartner:
    __test__ = False
    id: int
    name: str
    developer_email: str


def new_partner(platform: Platform, *apps_owned: TestApp) -> TestPartner:
    suffix = uuid.uuid4().hex[:10]
    with platform.db.session(write=True) as session:
        created = partners.create_partner(
            session,
            name=f"Partner {suffix}",
            developer_email=f"dev-{suffix}@partner.example",
            developer_password=PASSWORD,
            actor=ACTOR,
        )
        for owned in apps_owned:
            partners.attach_app(
                session, apps.get_app(session, owned.client_id), created.partner, actor=ACTOR
            )
        return TestPartner(created.partner.id, created.partner.name, created.developer.email)


@pytest.fixture
def setting(platform: Platform, world: World) -> tuple[TestApp, TestApp, TestPartner]:
    """Two apps of one partner, an app of another partner, and the first partner."""
    mine, theirs = world.app(), world.app()
    partner = new_partner(platform, mine)
    new_partner(platform, theirs)
    return mine, theirs, partner


def test_a_developer_lands_in_the_console_and_sees_only_their_apps(
    client: TestClient, world: World, setting: tuple[TestApp, TestApp, TestPartner]
) -> None:
    mine, theirs, partner = setting
    world.install(mine, world.account())
    world.install(mine, world.account())
    assert log_in(client, partner.developer_email).headers["location"] == "/developer"
    assert client.get("/", follow_redirects=False).headers["location"] == "/developer"
    console = client.get("/developer")
    assert console.status_code == 200
    assert mine.name in console.text
    assert theirs.name not in console.text
    page = client.get(f"/developer/apps/{mine.client_id}")
    assert re.search(r'id="install-count">2 accounts<', page.text)
    assert client.get(f"/developer/apps/{theirs.client_id}").status_code == 404
    assert client.get(f"/developer/apps/{theirs.client_id}/logo").status_code == 404
    assert client.get("/developer/apps/no-such-app").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/apps",
        "/installed",
        "/api-access",
        "/audit",
        "/staff/apps",
        "/staff/accounts",
        "/staff/partners",
    ],
)
def test_a_developer_cannot_reach_account_or_staff_pages(
    client: TestClient, setting: tuple[TestApp, TestApp, TestPartner], path: str
) -> None:
    _, _, partner = setting
    log_in(client, partner.developer_email)
    assert client.get(path).status_code == 403


def test_a_developer_cannot_reach_a_sellers_app_page_or_install(
    client: TestClient, setting: tuple[TestApp, TestApp, TestPartner]
) -> None:
    mine, _, partner = setting
    log_in(client, partner.developer_email)
    assert client.get(f"/apps/{mine.client_id}").status_code == 403
    answer = submit(client, "/developer", f"/apps/{mine.client_id}/install")
    assert answer.status_code == 403


def test_account_users_and_staff_cannot_open_the_console(
    client: TestClient, world: World, setting: tuple[TestApp, TestApp, TestPartner]
) -> None:
    mine, _, _ = setting
    log_in(client, world.account().admin_email)
    assert client.get("/developer").status_code == 403
    assert client.get(f"/developer/apps/{mine.client_id}").status_code == 403


def test_the_developer_edits_registration_fields_but_not_scopes(
    client: TestClient, platform: Platform, setting: tuple[TestApp, TestApp, TestPartner]
) -> None:
    mine, _, partner = setting
    log_in(client, partner.developer_email)
    edit = f"/developer/apps/{mine.client_id}/edit"
    new_name = f"Renamed {uuid.uuid4().hex[:8]}"
    form = {
        "name": new_name,
        "contact_email": "new-contact@partner.example",
        "redirect_uri": "https://partner.example/new_callback",
        "description": "Now with more orders.",
        "scopes": "inventory:write",  # not a field of this form: ignored
    }
    answer = submit(client, edit, edit, form)
    assert answer.status_code == 303
    with platform.db.session() as session:
        row = session.scalar(select(App).where(App.client_id == mine.client_id))
        assert row is not None
        assert (row.name, row.contact_email, row.redirect_uri, row.description) == (
            new_name,
            "new-contact@partner.example",
            "https://partner.example/new_callback",
            "Now with more orders.",
        )
        assert row.scopes == "salesOrder:read salesOrder:write"
    bad = submit(client, edit, edit, form | {"redirect_uri": "http://partner.example/cb"})
    assert bad.status_code == 400
    assert "must use https" in bad.text


def test_rotation_shows_the_new_secret_once_and_the_old_one_keeps_working(
    client: TestClient, world: World, setting: tuple[TestApp, TestApp, TestPartner]
) -> None:
    mine, _, partner = setting
    log_in(client, partner.developer_email)
    path = f"/developer/apps/{mine.client_id}/rotate-secret"
    answer = submit(client, path, path)
    assert answer.status_code == 200
    assert answer.headers["cache-control"].startswith("no-store")
    new_secret = shown_once(answer.text, "client-secret")
    assert new_secret
    assert new_secret not in client.get(f"/developer/apps/{mine.client_id}").text
    account = world.account()
    assert exchange(client, mine, world.code(mine, account)).status_code == 200  # old secret
    rotated = TestApp(mine.id, mine.client_id, new_secret, mine.redirect_uri, mine.name)
    assert exchange(client, rotated, world.code(mine, account)).status_code == 200


def test_the_webhook_is_set_in_the_console_and_its_deliveries_shown_and_redelivered(
    client: TestClient,
    world: World,
    platform: Platform,
    setting: tuple[TestApp, TestApp, TestPartner],
) -> None:
    mine, _, partner = setting
    log_in(client, partner.developer_email)
    page = f"/developer/apps/{mine.client_id}"
    refused = submit(client, page, f"{page}/webhook", {"webhook_url": "http://hooks.example/"})
    assert refused.status_code == 400
    answer = submit(client, page, f"{page}/webhook", {"webhook_url": "https://hooks.example/in"})
    assert answer.status_code == 200
    secret = shown_once(answer.text, "webhook-secret")
    assert secret
    assert secret.startswith("whsec_")
    assert secret not in client.get(page).text
    world.install(mine, world.account())
    shown = client.get(page).text
    assert "app.installed" in shown
    with platform.db.session() as session:
        delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.app_id == mine.id))
        assert delivery is not None
        delivery_id = delivery.id
    again = submit(client, page, f"{page}/redeliver", {"delivery_id": str(delivery_id)})
    assert again.status_code == 303


def test_another_partners_delivery_cannot_be_redelivered(
    client: TestClient,
    platform: Platform,
    world: World,
    setting: tuple[TestApp, TestApp, TestPartner],
) -> None:
    mine, theirs, partner = setting
    with platform.db.session(write=True) as session:
        webhooks.set_webhook(
            session,
            platform.keyring,
            apps.get_app(session, theirs.client_id),
            url="https://theirs.example/in",
            actor=ACTOR,
            production=False,
        )
    world.install(theirs, world.account())
    with platform.db.session() as session:
        theirs_delivery = session.scalar(
            select(WebhookDelivery.id).where(WebhookDelivery.app_id == theirs.id)
        )
    log_in(client, partner.developer_email)
    page = f"/developer/apps/{mine.client_id}"
    answer = submit(client, page, f"{page}/redeliver", {"delivery_id": str(theirs_delivery)})
    assert answer.status_code == 404


def test_scope_changes_are_requested_by_the_developer_and_approved_by_staff(
    client: TestClient,
    world: World,
    platform: Platform,
    setting: tuple[TestApp, TestApp, TestPartner],
) -> None:
    mine, _, partner = setting
    log_in(client, partner.developer_email)
    page = f"/developer/apps/{mine.client_id}"
    wanted = {"scopes": ["salesOrder:read", "inventory:read"]}
    token = csrf_token(client, page)
    answer = client.post(
        f"{page}/scopes", data={"csrf_token": token, **wanted}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert "awaiting staff review" in client.get(page).text
    client.post("/logout", data={"csrf_token": csrf_token(client, page)})
    log_in(client, world.user(None))
    staff_page = f"/staff/apps/{mine.client_id}"
    listed = client.get(staff_page).text
    match = re.search(r'action="(/staff/scope-requests/\d+/approve)"', listed)
    assert match
    assert submit(client, staff_page, match.group(1)).status_code == 303
    with platform.db.session() as session:
        assert set(apps.get_app(session, mine.client_id).scopes.split()) == set(wanted["scopes"])


def test_console_forms_refuse_a_post_without_the_csrf_token(
    client: TestClient, setting: tuple[TestApp, TestApp, TestPartner]
) -> None:
    mine, _, partner = setting
    log_in(client, partner.developer_email)
    answer = client.post(f"/developer/apps/{mine.client_id}/rotate-secret", follow_redirects=False)
    assert answer.status_code == 403


def test_staff_create_a_partner_and_attach_an_app_in_the_console(
    client: TestClient, world: World, platform: Platform
) -> None:
    app = world.app()
    log_in(client, world.user(None))
    name = f"Console Partner {uuid.uuid4().hex[:8]}"
    email = f"dev-{uuid.uuid4().hex[:8]}@console.example"
    created = submit(
        client,
        "/staff/partners",
        "/staff/partners/new",
        {"name": name, "developer_email": email},
    )
    assert created.status_code == 200
    password = shown_once(created.text, "password")
    assert password
    with platform.db.session() as session:
        (partner,) = [p for p in partners.list_partners(session) if p.name == name]
        partner_id = partner.id
    staff_page = f"/staff/apps/{app.client_id}"
    attached = submit(client, staff_page, f"{staff_page}/partner", {"partner_id": str(partner_id)})
    assert attached.status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, staff_page)})
    log_in(client, email, password)
    assert app.name in client.get("/developer").text


def test_public_keys_are_pasted_in_the_console_and_a_private_key_is_refused_unechoed(
    client: TestClient, platform: Platform, setting: tuple[TestApp, TestApp, TestPartner]
) -> None:
    import json

    from joserfc.jwk import ECKey, KeySet

    mine, _, partner = setting
    key = ECKey.generate_key("P-256", parameters={"kid": "console-1"})
    log_in(client, partner.developer_email)
    page = f"/developer/apps/{mine.client_id}"
    private = json.dumps(KeySet([key]).as_dict(private=True))
    refused = submit(client, page, f"{page}/keys", {"jwks": private})
    assert refused.status_code == 400
    assert "public keys only" in refused.text
    assert key.as_dict(private=True)["d"] not in refused.text
    public = json.dumps(KeySet([key]).as_dict(private=False))
    saved = submit(client, page, f"{page}/keys", {"jwks": public, "assertions_only": "1"})
    assert saved.status_code == 303
    with platform.db.session() as session:
        row = session.scalar(select(App).where(App.id == mine.id))
        assert row is not None
        assert (row.secrets_accepted, json.loads(row.jwks or "{}")["keys"][0]["kid"]) == (
            False,
            "console-1",
        )
    assert "console-1" in client.get(page).text
