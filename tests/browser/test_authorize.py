"""A partner sends the seller's browser to ``/v1/authorize``: login, the consent page with
the app and its scopes, Approve, and the partner's callback with ``code``, ``state`` and
``iss`` (RFC 6749 §4.1, RFC 9207), in Chromium against a real server."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import Partner, Screenshots
from tests.support import PASSWORD, LiveServer, World, authorize_url, exchange_body
from zentail.oauth.pkce import s256

pytestmark = [pytest.mark.browser, pytest.mark.server]
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
STATE = "partner-state-0123"


def test_a_seller_logs_in_approves_and_lands_on_the_partner_with_code_state_and_iss(
    live_server: LiveServer,
    world: World,
    context: BrowserContext,
    partner: Partner,
    snap: Screenshots,
) -> None:
    account = world.account()
    app = world.app(scopes="salesOrder:read inventory:read", redirect_uri=partner.redirect_uri)
    page = context.new_page()
    page.goto(live_server.base_url + authorize_url(app, s256(VERIFIER), state=STATE))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    snap(page, "login")
    page.get_by_label("E-mail").fill(account.admin_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    heading = f"Connect {app.name} to {account.name}?"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_role("img", name=f"{app.name} logo")).to_be_visible()
    expect(page.get_by_text("Read your sales orders")).to_be_visible()
    expect(page.get_by_text("Read inventory levels")).to_have_count(0)
    snap(page, "consent")
    page.get_by_role("button", name="Approve").click()

    expect(page.get_by_role("heading", name="Partner app: install received")).to_be_visible()
    snap(page, "partner-callback")
    (callback,) = partner.callbacks
    assert callback.keys() == {"code", "state", "iss"}
    assert (callback["state"], callback["iss"]) == (STATE, live_server.base_url)
    token = httpx.post(
        f"{live_server.base_url}/v1/token",
        data=exchange_body(callback["code"], app.redirect_uri) | {"code_verifier": VERIFIER},
        headers={"Authorization": app.basic},
    )
    assert token.status_code == 200, token.text
