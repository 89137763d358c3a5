"""Who may do what: members browse, admins act on their own account only, staff on any."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.support import World
from tests.web.pages import log_in, submit
from zentail.storage.models import AccessToken


def test_a_member_can_browse_but_not_install(client: TestClient, world: World) -> None:
    account, app = world.account(), world.app()
    log_in(client, world.user(account, "member"))
    page = client.get(f"/apps/{app.client_id}")
    assert page.status_code == 200
    assert "Only an admin of your account can install apps" in page.text
    answer = submit(client, "/apps", f"/apps/{app.client_id}/install")
    assert answer.status_code == 403
    assert "Only account admins can do this" in answer.text


def test_a_member_cannot_uninstall(client: TestClient, world: World) -> None:
    account, app = world.account(), world.app()
    world.install(app, account)
    log_in(client, world.user(account, "member"))
    assert app.name in client.get("/installed").text
    assert client.get(f"/installed/{app.client_id}/uninstall").status_code == 403
    answer = submit(client, "/installed", f"/installed/{app.client_id}/uninstall")
    assert answer.status_code == 403


def test_a_member_cannot_reach_api_access(client: TestClient, world: World) -> None:
    account = world.account()
    log_in(client, world.user(account, "member"))
    assert client.get("/api-access").status_code == 403
    answer = submit(client, "/apps", "/api-access/tokens", {"label": "sneaky"})
    assert answer.status_code == 403


def test_an_admin_cannot_install_on_another_account(client: TestClient, world: World) -> None:
    mine, theirs, app = world.account(), world.account(), world.app()
    log_in(client, mine.admin_email)
    answer = submit(
        client, "/apps", f"/apps/{app.client_id}/install", {"account_id": str(theirs.id)}
    )
    assert answer.status_code == 404
    assert client.get(f"/installed?account={theirs.id}").status_code == 404


def test_an_admin_cannot_uninstall_from_another_account(client: TestClient, world: World) -> None:
    mine, theirs, app = world.account(), world.account(), world.app()
    world.install(app, theirs)
    code = world.code(app, theirs)
    log_in(client, mine.admin_email)
    answer = submit(
        client, "/apps", f"/installed/{app.client_id}/uninstall", {"account_id": str(theirs.id)}
    )
    assert answer.status_code == 404
    # their own account has no such installation either: nothing is touched
    answer = submit(client, "/apps", f"/installed/{app.client_id}/uninstall")
    assert answer.status_code == 404
    assert (
        client.post(
            "/v1/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": app.redirect_uri,
            },
            headers={"Authorization": app.basic},
        ).status_code
        == 200
    )


def test_an_admin_cannot_see_or_revoke_another_accounts_token(
    client: TestClient, world: World
) -> None:
    mine, theirs = world.account(), world.account()
    raw = world.account_token(theirs)
    log_in(client, mine.admin_email)
    assert "test token" not in client.get("/api-access").text
    with client.app.state.platform.db.session() as session:  # type: ignore[attr-defined]
        token_id = session.scalar(select(AccessToken.id).where(AccessToken.account_id == theirs.id))
    assert client.get(f"/api-access/tokens/{token_id}/revoke").status_code == 404
    answer = submit(client, "/api-access", f"/api-access/tokens/{token_id}/revoke")
    assert answer.status_code == 404
    assert client.get("/v1/salesOrder", headers={"Authorization": raw}).status_code == 200


def test_only_staff_reach_the_staff_console(client: TestClient, world: World) -> None:
    account = world.account()
    for email in (account.admin_email, world.user(account, "member")):
        log_in(client, email)
        for path in ("/staff/apps", "/staff/apps/new", "/staff/accounts"):
            answer = client.get(path)
            assert answer.status_code == 403, path
            assert "Staff only" in answer.text
        answer = submit(
            client, "/apps", "/staff/accounts/new", {"name": "X", "admin_email": "x@y.example"}
        )
        assert answer.status_code == 403
    log_in(client, world.user(None))
    assert client.get("/staff/apps").status_code == 200


def test_staff_install_for_the_account_they_choose(client: TestClient, world: World) -> None:
    account, app = world.account(), world.app()
    log_in(client, world.user(None))
    page = client.get(f"/apps/{app.client_id}?account={account.id}")
    assert f'<option value="{account.id}" selected' in page.text
    answer = submit(
        client, "/apps", f"/apps/{app.client_id}/install", {"account_id": str(account.id)}
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(app.redirect_uri + "?client_id=")
    assert app.name in client.get(f"/installed?account={account.id}").text


def test_staff_must_choose_an_account_to_install(client: TestClient, world: World) -> None:
    app = world.app()
    log_in(client, world.user(None))
    answer = submit(client, "/apps", f"/apps/{app.client_id}/install")
    assert answer.status_code == 400
    assert "Choose an account" in answer.text
