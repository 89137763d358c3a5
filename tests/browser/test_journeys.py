"""What staff and account admins do in a real browser, against a real server process:
register → install → the partner's callback → token exchange → uninstall; ad-hoc tokens;
secret rotation and suspension."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Partner, Screenshots
from tests.support import PASSWORD, LiveServer, World, basic, exchange_body

pytestmark = [pytest.mark.browser, pytest.mark.server]


def log_in(
    page: Page, server: LiveServer, email: str, snap: Screenshots, password: str = PASSWORD
) -> None:
    page.goto(f"{server.base_url}/login")
    snap(page, "login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()
    snap(page, "catalog")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()


def square_png(path: Path) -> Path:
    Image.new("RGB", (128, 128), (230, 90, 40)).save(path, format="PNG")
    return path


def api_status(server: LiveServer, token: str) -> int:
    return httpx.get(
        f"{server.base_url}/v1/salesOrder", headers={"Authorization": token}
    ).status_code


def test_staff_registers_an_app_that_an_admin_installs_uses_and_uninstalls(
    live_server: LiveServer,
    world: World,
    context: BrowserContext,
    partner: Partner,
    snap: Screenshots,
    tmp_path: Path,
) -> None:
    account = world.account()
    staff_email = world.user(None)
    name = f"Order Sync {uuid.uuid4().hex[:6]}"
    page = context.new_page()

    # staff registers the app and reads its credentials once
    log_in(page, live_server, staff_email, snap)
    page.get_by_role("link", name="Registry").click()
    snap(page, "registry")
    page.get_by_role("link", name="Register an app").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Contact e-mail").fill("dev@order-sync.example")
    page.get_by_label("Redirect URI").fill(partner.redirect_uri)
    page.get_by_label("Logo").set_input_files(square_png(tmp_path / "logo.png"))
    page.get_by_label("Read your sales orders").check()
    page.get_by_label("Description").fill("Sends your new orders to your warehouse every hour.")
    snap(page, "register-form")
    page.get_by_role("button", name="Register app").click()
    expect(page.get_by_role("heading", name=f"{name} is registered")).to_be_visible()
    snap(page, "credentials")
    client_id = page.get_by_role("textbox", name="Client ID", exact=True).input_value()
    client_secret = page.get_by_role("textbox", name="Client secret", exact=True).input_value()
    log_out(page)

    # the account admin installs it and lands on the partner's callback with a code
    log_in(page, live_server, account.admin_email, snap)
    page.get_by_role("link", name=name).click()
    expect(page.get_by_text("Read your sales orders")).to_be_visible()
    snap(page, "app-page")
    page.get_by_role("button", name=f"Install {name}").click()
    page.wait_for_url(f"{partner.redirect_uri}?**")
    snap(page, "partner-callback")
    callback = partner.callbacks[-1]
    assert callback["client_id"] == client_id
    assert {"code", "timestamp", "hmac"} <= set(callback)

    # the partner exchanges the code and calls the API
    token_response = httpx.post(
        f"{live_server.base_url}/v1/token",
        data=exchange_body(callback["code"], partner.redirect_uri),
        headers={"Authorization": basic(client_id, client_secret)},
    )
    assert token_response.status_code == 200, token_response.text
    token = token_response.json()["access_token"]
    assert api_status(live_server, token) == 200

    # the admin sees it installed, then uninstalls it: the token stops working
    page.goto(f"{live_server.base_url}/installed")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    snap(page, "installed")
    page.get_by_role("link", name="Uninstall…").click()
    snap(page, "uninstall-confirm")
    page.get_by_role("button", name=f"Uninstall {name}").click()
    expect(page.get_by_text(f"{name} was uninstalled")).to_be_visible()
    snap(page, "uninstalled")
    assert api_status(live_server, token) == 401

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="uninstall", exact=True)).to_be_visible()
    snap(page, "audit-log")


def test_an_admin_generates_uses_and_revokes_an_api_token(
    live_server: LiveServer, world: World, context: BrowserContext, snap: Screenshots
) -> None:
    account = world.account()
    page = context.new_page()
    log_in(page, live_server, account.admin_email, snap)
    page.get_by_role("link", name="API access").click()
    snap(page, "api-access")
    page.get_by_label("Label").fill("Nightly export")
    page.get_by_label("Read your sales orders").check()
    page.get_by_role("button", name="Generate token").click()
    expect(page.get_by_text("it is shown only once")).to_be_visible()
    expect(page.get_by_role("button", name="Copy")).to_be_visible()  # with JavaScript
    snap(page, "token-shown-once")
    token = page.get_by_role("textbox", name="New token").input_value()
    assert api_status(live_server, token) == 200

    page.goto(f"{live_server.base_url}/api-access")
    expect(page.get_by_role("textbox", name="New token")).to_have_count(0)
    row = page.get_by_role("row", name="Nightly export")
    expect(row).to_contain_text(account.admin_email)
    row.get_by_role("link", name="Revoke…").click()
    snap(page, "revoke-confirm")
    page.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("was revoked")).to_be_visible()
    snap(page, "revoked")
    assert api_status(live_server, token) == 401


def test_staff_rotate_a_secret_and_suspend_an_app(
    live_server: LiveServer, world: World, context: BrowserContext, snap: Screenshots
) -> None:
    account = world.account()
    app = world.app(redirect_uri="http://127.0.0.1:9/oauth_callback")
    code = world.code(app, account)
    token = httpx.post(
        f"{live_server.base_url}/v1/token",
        data=exchange_body(code, app.redirect_uri),
        headers={"Authorization": app.basic},
    ).json()["access_token"]
    page = context.new_page()
    log_in(page, live_server, world.user(None), snap)
    page.goto(f"{live_server.base_url}/staff/apps/{app.client_id}")
    snap(page, "app-detail")

    page.get_by_role("link", name="Rotate secret…").click()
    expect(page.get_by_text("grace period of 7 days")).to_be_visible()
    snap(page, "rotate-confirm")
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_text("The previous secret keeps working until")).to_be_visible()
    snap(page, "new-secret")
    new_secret = page.get_by_role("textbox", name="Client secret", exact=True).input_value()
    for secret in (new_secret, app.client_secret):  # both work during the grace period
        refused_code = httpx.post(
            f"{live_server.base_url}/v1/token",
            data=exchange_body("no-such-code", app.redirect_uri),
            headers={"Authorization": basic(app.client_id, secret)},
        )
        assert refused_code.json()["error"] == "invalid_grant"

    page.get_by_role("link", name=f"Go to {app.name}").click()
    page.get_by_role("link", name="Suspend…").click()
    snap(page, "suspend-confirm")
    page.get_by_role("button", name=f"Suspend {app.name}").click()
    expect(page.get_by_text(f"{app.name} was suspended.")).to_be_visible()
    snap(page, "suspended")
    assert api_status(live_server, token) == 401

    page.goto(f"{live_server.base_url}/audit?app={app.client_id}")
    expect(page.get_by_role("cell", name="app.suspended")).to_be_visible()
    snap(page, "audit-log-filtered")


def test_staff_create_an_account_and_install_an_app_on_its_behalf(
    live_server: LiveServer,
    world: World,
    context: BrowserContext,
    partner: Partner,
    snap: Screenshots,
) -> None:
    app = world.app(redirect_uri=partner.redirect_uri)
    account_name = f"Seller {uuid.uuid4().hex[:6]}"
    admin_email = f"owner-{uuid.uuid4().hex[:6]}@seller.example"
    page = context.new_page()
    log_in(page, live_server, world.user(None), snap)
    page.get_by_role("link", name="Accounts").click()
    snap(page, "accounts")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Account name").fill(account_name)
    page.get_by_label("First admin's e-mail").fill(admin_email)
    snap(page, "account-form")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("it is shown only once")).to_be_visible()
    snap(page, "password-shown-once")
    password = page.get_by_role("textbox", name="Generated password").input_value()

    page.get_by_role("link", name="Go to the account").click()
    page.get_by_label("E-mail").fill(f"member-{uuid.uuid4().hex[:6]}@seller.example")
    page.get_by_label("Password").fill("a-long-member-password")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("can now log in")).to_be_visible()
    snap(page, "account")

    page.get_by_role("link", name="Install an app for this account…").click()
    snap(page, "catalog-for-account")
    page.get_by_role("link", name=app.name).click()
    expect(page.get_by_label("Install for account")).to_have_value(
        re.compile(r"^\d+$")  # the account is already chosen
    )
    snap(page, "install-for-account")
    page.get_by_role("button", name=f"Install {app.name}").click()
    page.wait_for_url(f"{partner.redirect_uri}?**")
    assert partner.callbacks[-1]["client_id"] == app.client_id
    log_out_from(page, live_server)

    log_in(page, live_server, admin_email, snap, password=password)
    page.get_by_role("link", name="Installed apps").click()
    expect(page.get_by_role("heading", name=app.name)).to_be_visible()
    snap(page, "installed-by-staff")


def log_out_from(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.base_url}/apps")
    log_out(page)


def test_an_admin_sees_a_clear_page_for_a_suspended_app(
    live_server: LiveServer, world: World, context: BrowserContext, snap: Screenshots
) -> None:
    account, app = world.account(), world.app()
    world.set_app_active(app, False)
    page = context.new_page()
    log_in(page, live_server, account.admin_email, snap)
    page.goto(f"{live_server.base_url}/apps/{app.client_id}")
    expect(page.get_by_role("heading", name=f"{app.name} is suspended")).to_be_visible()
    expect(page.get_by_role("button", name="Install")).to_have_count(0)
    snap(page, "suspended-app")


def test_tokens_and_forms_work_without_javascript(
    live_server: LiveServer, world: World, browser: Browser, snap: Screenshots
) -> None:
    account = world.account()
    no_js = browser.new_context(java_script_enabled=False)
    try:
        page = no_js.new_page()
        log_in(page, live_server, account.admin_email, snap)
        page.goto(f"{live_server.base_url}/api-access")
        page.get_by_label("Label").fill("Without JavaScript")
        page.get_by_role("button", name="Generate token").click()
        field = page.get_by_role("textbox", name="New token")
        expect(field).to_be_visible()
        expect(page.get_by_role("button", name="Copy")).to_have_count(0)  # hidden: no script
        snap(page, "token-without-js")
        assert api_status(live_server, field.input_value()) == 200
    finally:
        no_js.close()


def test_pages_for_errors_are_pages(
    live_server: LiveServer, world: World, context: BrowserContext, snap: Screenshots
) -> None:
    page = context.new_page()
    log_in(page, live_server, world.user(world.account(), "member"), snap)
    page.goto(f"{live_server.base_url}/staff/apps")
    expect(page.get_by_role("heading", name="Staff only")).to_be_visible()
    snap(page, "forbidden")
    page.goto(f"{live_server.base_url}/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    snap(page, "not-found")
    context.clear_cookies()
    context.add_cookies(
        [{"name": "zentail_session", "value": "stale", "url": live_server.base_url}]
    )
    page.goto(f"{live_server.base_url}/installed")
    expect(page.get_by_text("Your session has expired")).to_be_visible()
    snap(page, "session-expired")
    assert page.url.startswith(f"{live_server.base_url}/login?")
