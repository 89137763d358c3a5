"""A partner's developer in a real browser, against a real server process: log in, see only
their organisation's apps, rotate the secret, set a webhook and watch its delivery arrive at
a real receiver, and read why an exchange was refused. And ``/docs`` renders with every
request outside the platform blocked."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from playwright.sync_api import BrowserContext, Route, expect

import zentail_partner as partner
from tests.browser.conftest import Screenshots
from tests.support import ACTOR, PASSWORD, LiveServer, World, basic, exchange_body
from tests.webhooks.receiver import receiver
from zentail.domain import apps, partners
from zentail.platform import Platform

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_a_developer_rotates_the_secret_sets_a_webhook_and_sees_the_delivery(
    live_server: LiveServer,
    world: World,
    platform: Platform,
    context: BrowserContext,
    snap: Screenshots,
) -> None:
    mine, theirs = world.app(), world.app()
    suffix = uuid.uuid4().hex[:8]
    with platform.db.session(write=True) as session:
        created = partners.create_partner(
            session,
            name=f"Browser Partner {suffix}",
            developer_email=f"dev-{suffix}@browser.example",
            developer_password=PASSWORD,
            actor=ACTOR,
        )
        partners.attach_app(
            session, apps.get_app(session, mine.client_id), created.partner, actor=ACTOR
        )
        email = created.developer.email
    page = context.new_page()

    # log in at the same /login and land in the console: only this partner's apps
    page.goto(f"{live_server.base_url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Developer console")).to_be_visible()
    expect(page.get_by_role("link", name=mine.name)).to_be_visible()
    expect(page.get_by_text(theirs.name)).to_have_count(0)
    expect(page.get_by_role("link", name="Installed apps")).to_have_count(0)
    snap(page, "console")

    # rotate the client secret: shown once, and the old one keeps working
    page.get_by_role("link", name=mine.name).click()
    expect(page.get_by_role("heading", name=mine.name)).to_be_visible()
    snap(page, "app")
    page.get_by_role("link", name="Rotate secret…").click()
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("heading", name=f"New client secret for {mine.name}")).to_be_visible()
    new_secret = page.get_by_role("textbox", name="Client secret").input_value()
    snap(page, "new-secret")
    account = world.account()
    for secret in (mine.client_secret, new_secret):
        answer = httpx.post(
            f"{live_server.base_url}/v1/token",
            data=exchange_body(world.code(mine, account), mine.redirect_uri),
            headers={"Authorization": basic(mine.client_id, secret)},
        )
        assert answer.status_code == 200, answer.text
    world.uninstall(mine, account)
    page.get_by_role("link", name=f"Back to {mine.name}").click()

    with receiver() as hook:
        # set the webhook: its signing secret is shown once
        page.get_by_label("Webhook URL").fill(hook.url)
        page.get_by_role("button", name="Save webhook").click()
        expect(
            page.get_by_role("heading", name=f"Webhook signing secret for {mine.name}")
        ).to_be_visible()
        webhook_secret = page.get_by_role("textbox", name="Webhook signing secret").input_value()
        assert webhook_secret.startswith("whsec_")
        snap(page, "webhook-secret")
        page.get_by_role("link", name=f"Back to {mine.name}").click()

        # a seller installs the app: the server itself delivers the signed event
        world.install(mine, world.account())
        (received,) = hook.wait_for(1)
        event = partner.verify_webhook(received.headers, received.body, webhook_secret)
        assert event.type == "app.installed"
        deadline = time.monotonic() + 15
        rows = page.locator("#deliveries + .table-wrap tbody tr")
        while time.monotonic() < deadline:
            page.reload()
            if "delivered" in (rows.first.text_content() if rows.count() else ""):
                break
            time.sleep(0.3)
        first = rows.first
        expect(first).to_contain_text("app.installed")
        expect(first).to_contain_text("delivered")
        expect(first).to_contain_text("204")
        expect(page.locator("#install-count")).to_have_text("1 account")
        snap(page, "delivery")

        # redeliver: the same message (same webhook-id) arrives again
        page.get_by_role("button", name="Redeliver").first.click()
        expect(page.get_by_text("will be sent again in a moment")).to_be_visible()
        again = hook.wait_for(2)[1]
        assert again.headers["webhook-id"] == received.headers["webhook-id"]
        assert partner.verify_webhook(again.headers, again.body, webhook_secret) == event

    # a failed exchange (the wrong redirect URI) is explained in the console, and only there
    sent = "https://typo.example/oauth_callback"
    refused = httpx.post(
        f"{live_server.base_url}/v1/token",
        data=exchange_body(world.code(mine, world.account()), sent),
        headers={"Authorization": basic(mine.client_id, new_secret)},
    )
    assert refused.json()["error"] == "invalid_grant"
    assert sent not in refused.text
    page.reload()
    failure = page.locator("#token-failures + p + .table-wrap tbody tr").first
    expect(failure).to_contain_text("redirect_uri_mismatch")
    expect(failure).to_contain_text(sent)
    expect(failure).to_contain_text(mine.redirect_uri)
    failure.scroll_into_view_if_needed()
    snap(page, "token-failure")


def test_docs_render_with_every_request_outside_the_platform_blocked(
    live_server: LiveServer, context: BrowserContext, snap: Screenshots
) -> None:
    outside: list[str] = []

    def only_the_platform(route: Route) -> None:
        if route.request.url.startswith(live_server.base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_platform)
    page = context.new_page()
    page.goto(f"{live_server.base_url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Zentail Open API")
    expect(page.get_by_text("/v1/token", exact=True)).to_be_visible()
    snap(page, "docs")
    assert outside == []
