"""The example partner app (examples/partner_app) next to a real ``zentail serve``:
install (``zentail install``) → callback on the app with a logged-in partner user → code
exchange → the account's pending orders on the app's home page."""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from examples.partner_app.store import TokenStore

import zentail_partner as partner
from tests import support
from tests.partner.live import create_orders, install, new_app, new_order
from tests.support import LiveServer, World, free_port, running_process

pytestmark = pytest.mark.server
REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD = "partner@demo.example", "demo-partner-password"
SECRET_KEY = "partner-app-test-key-0123456789abcdef"


@dataclass(frozen=True)
class PartnerApp:
    base_url: str
    app: partner.AppCredentials
    database: Path
    log_path: Path

    def browser(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, follow_redirects=False, timeout=30)


@pytest.fixture
def partner_app(live_server: LiveServer, world: World, tmp_path: Path) -> Iterator[PartnerApp]:
    """The example app on a free port, registered on the live platform as a new app."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = new_app(world, f"{base_url}/oauth_callback")
    env = live_server.env | {
        "PARTNER_PLATFORM_URL": live_server.base_url,
        "PARTNER_CLIENT_ID": app.client_id,
        "PARTNER_CLIENT_SECRET": app.client_secret,
        "PARTNER_REDIRECT_URI": app.redirect_uri,
        "PARTNER_PORT": str(port),
        "PARTNER_DATABASE": str(tmp_path / "partner.db"),
        "PARTNER_SECRET_KEY": SECRET_KEY,
    }
    log_path = tmp_path / "partner_app.log"
    command = [sys.executable, "-m", "examples.partner_app"]
    with running_process(command, env, log_path, f"{base_url}/login", cwd=REPO):
        yield PartnerApp(base_url, app, tmp_path / "partner.db", log_path)


def log_in(browser: httpx.Client) -> httpx.Response:
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert csrf, "the login form carries a CSRF token"
    return browser.post(
        "/login", data={"username": USER, "password": PASSWORD, "csrf": csrf.group(1)}
    )


def seller_with_orders(live_server: LiveServer, world: World) -> support.TestAccount:
    """An account with two pending orders and one awaiting payment (not listed)."""
    account = world.account()
    create_orders(
        live_server,
        world,
        account,
        new_order("PENDING-A"),
        new_order("PENDING-B"),
        new_order("UNPAID-C", "PENDING_PAYMENT"),
    )
    return account


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_install_exchange_and_pending_orders_for_a_logged_in_partner_user(
    live_server: LiveServer, world: World, partner_app: PartnerApp
) -> None:
    account = seller_with_orders(live_server, world)
    create_orders(live_server, world, world.account(), new_order("SOMEONE-ELSES"))
    callback_url = install(live_server, partner_app.app, account)
    assert callback_url.startswith(partner_app.app.redirect_uri + "?")

    with partner_app.browser() as browser:
        assert log_in(browser).headers["location"] == "/"
        linked = browser.get(path_and_query(callback_url))
        assert (linked.status_code, linked.headers["location"]) == (303, "/")
        home = browser.get("/")

    assert home.status_code == 200
    assert "Pending orders (2)" in home.text
    assert "PENDING-A" in home.text
    assert "PENDING-B" in home.text
    assert "UNPAID-C" not in home.text
    assert "SOMEONE-ELSES" not in home.text


def test_a_callback_before_login_completes_after_the_partner_user_logs_in(
    live_server: LiveServer, world: World, partner_app: PartnerApp
) -> None:
    callback_url = install(live_server, partner_app.app, seller_with_orders(live_server, world))
    with partner_app.browser() as browser:
        first = browser.get(path_and_query(callback_url))
        assert (first.status_code, first.headers["location"]) == (303, "/login?linking=1")
        assert "link your Zentail account" in browser.get("/login?linking=1").text
        assert log_in(browser).headers["location"] == "/"
        assert "Pending orders (2)" in browser.get("/").text


def test_a_forged_callback_is_refused_and_links_nothing(
    live_server: LiveServer, world: World, partner_app: PartnerApp
) -> None:
    callback_url = install(live_server, partner_app.app, seller_with_orders(live_server, world))
    forged = re.sub(r"hmac=[0-9a-f]{8}", "hmac=00000000", callback_url)
    with partner_app.browser() as browser:
        log_in(browser)
        refused = browser.get(path_and_query(forged))
        home = browser.get("/")
    assert refused.status_code == 400
    assert "matches none of the app&#39;s client secrets" in refused.text
    assert "No Zentail account is linked yet" in home.text


def test_a_reused_install_link_explains_itself(
    live_server: LiveServer, world: World, partner_app: PartnerApp
) -> None:
    callback_url = install(live_server, partner_app.app, seller_with_orders(live_server, world))
    with partner_app.browser() as browser:
        log_in(browser)
        browser.get(path_and_query(callback_url))
        again = browser.get(path_and_query(callback_url))
    assert again.status_code == 400
    assert "already used or has expired" in again.text


def test_the_token_is_encrypted_at_rest_and_no_code_or_token_is_logged(
    live_server: LiveServer, world: World, partner_app: PartnerApp
) -> None:
    callback_url = install(live_server, partner_app.app, seller_with_orders(live_server, world))
    code = re.search(r"code=([^&]+)", callback_url)
    assert code
    with partner_app.browser() as browser:
        log_in(browser)
        browser.get(path_and_query(callback_url))
    token = TokenStore(partner_app.database, SECRET_KEY).token_for(USER)
    assert token
    with partner.Client(live_server.base_url, token) as api:
        assert len(list(api.paginate(partner.list_sales_orders(status="PENDING")))) == 2
    with sqlite3.connect(partner_app.database) as db:
        rows = db.execute("SELECT partner_user, sealed_token FROM zentail_connections").fetchall()
    assert [user for user, _ in rows] == [USER]
    assert token.encode() not in partner_app.database.read_bytes()
    log = partner_app.log_path.read_text()
    assert "linked a Zentail account" in log
    assert code.group(1) not in log
    assert token not in log


def test_after_an_uninstall_the_app_forgets_the_revoked_token(
    live_server: LiveServer, world: World, partner_app: PartnerApp
) -> None:
    account = seller_with_orders(live_server, world)
    callback_url = install(live_server, partner_app.app, account)
    with partner_app.browser() as browser:
        log_in(browser)
        browser.get(path_and_query(callback_url))
        assert "Pending orders (2)" in browser.get("/").text
        uninstalled = live_server.cli(
            "uninstall", partner_app.app.client_id, "--account", str(account.id)
        )
        assert uninstalled.returncode == 0, uninstalled.stderr
        home = browser.get("/")
    assert "no longer accepts this app's token" in home.text
    assert TokenStore(partner_app.database, SECRET_KEY).token_for(USER) is None
