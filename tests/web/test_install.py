"""Install from the app page (a CSRF-protected POST answered with 303 to the partner),
the installed-apps page, and Uninstall."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support import World, exchange, query_params
from tests.web.pages import log_in, submit

QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "partner-quickstart.md"


def test_the_app_page_says_in_plain_words_what_the_app_may_do(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app(scopes="salesOrder:read inventory:write")
    log_in(client, account.admin_email)
    page = client.get(f"/apps/{app.client_id}")
    assert "Read your sales orders" in page.text
    assert "Update inventory levels" in page.text
    assert "Create sales orders" not in page.text
    assert f'src="/apps/{app.client_id}/logo"' in page.text


def test_install_answers_303_to_the_registered_redirect_uri_with_a_working_code(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app()
    log_in(client, account.admin_email)
    answer = submit(client, f"/apps/{app.client_id}", f"/apps/{app.client_id}/install")
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(f"{app.redirect_uri}?client_id={app.client_id}&code=")
    token = exchange(client, app, query_params(location)["code"])
    assert token.status_code == 200
    orders = client.get("/v1/salesOrder", headers={"Authorization": token.json()["access_token"]})
    assert orders.status_code == 200


def test_a_suspended_app_shows_a_clear_page_and_cannot_be_installed(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app()
    world.set_app_active(app, False)
    log_in(client, account.admin_email)
    page = client.get(f"/apps/{app.client_id}")
    assert f"{app.name} is suspended" in page.text
    assert app.name not in client.get("/apps").text
    answer = submit(client, "/apps", f"/apps/{app.client_id}/install")
    assert answer.status_code == 409
    assert f"{app.name} is suspended" in answer.text
    assert "location" not in answer.headers


def test_installed_apps_show_scopes_installer_and_last_use(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app(scopes="salesOrder:read")
    log_in(client, account.admin_email)
    answer = submit(client, f"/apps/{app.client_id}", f"/apps/{app.client_id}/install")
    page = client.get("/installed").text
    assert app.name in page
    assert "Read your sales orders" in page
    assert f"by {account.admin_email}" in page
    assert "Last used</dt><dd>never" in page

    token = exchange(client, app, query_params(answer.headers["location"])["code"]).json()
    client.get("/v1/salesOrder", headers={"Authorization": token["access_token"]})
    assert "Last used</dt><dd>never" not in client.get("/installed").text


def test_uninstall_asks_for_confirmation_then_stops_the_token(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app()
    code = world.code(app, account)
    token = exchange(client, app, code).json()["access_token"]
    log_in(client, account.admin_email)
    confirm = client.get(f"/installed/{app.client_id}/uninstall")
    assert confirm.status_code == 200
    assert f"Uninstall {app.name}?" in confirm.text

    answer = submit(
        client, f"/installed/{app.client_id}/uninstall", f"/installed/{app.client_id}/uninstall"
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/installed"
    page = client.get("/installed").text
    assert f"{app.name} was uninstalled" in page
    assert client.get("/v1/salesOrder", headers={"Authorization": token}).status_code == 401


def test_logos_are_served_with_a_placeholder_when_none_was_uploaded(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app()
    log_in(client, account.admin_email)
    logo = client.get(f"/apps/{app.client_id}/logo")
    assert logo.status_code == 200
    assert logo.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in logo.text
    assert "sandbox" in logo.headers["content-security-policy"]


def test_after_an_install_elsewhere_the_button_still_names_the_app_as_the_quickstart_says(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app()
    log_in(client, account.admin_email)
    button = re.compile(r'<button type="submit" class="primary">([^<]+)</button>')
    assert button.findall(client.get(f"/apps/{app.client_id}").text) == [f"Install {app.name}"]
    world.install(app, account)  # what `zentail install` does
    again = button.findall(client.get(f"/apps/{app.client_id}").text)
    assert again == [f"Install {app.name} again"]
    quickstart = QUICKSTART.read_text()
    assert "**Install Demo Partner**" in quickstart
    assert "**Install Demo Partner again**" in quickstart
