"""Audit log pages: an account admin sees only that account's events; staff see all and filter."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import World
from tests.web.pages import log_in


def test_an_account_admin_sees_only_their_accounts_events(client: TestClient, world: World) -> None:
    mine, theirs = world.account(), world.account()
    mine_app, their_app = world.app(), world.app()
    world.install(mine_app, mine)
    world.install(their_app, theirs)
    log_in(client, mine.admin_email)
    rows = client.get("/audit?event=install").text.split("<tbody>")[1]
    assert mine_app.name in rows
    assert their_app.name not in rows
    # naming the other account changes nothing
    rows = client.get(f"/audit?event=install&account={theirs.id}").text.split("<tbody>")[1]
    assert mine_app.name in rows
    assert their_app.name not in rows


def test_members_cannot_read_the_audit_log(client: TestClient, world: World) -> None:
    log_in(client, world.user(world.account(), "member"))
    assert client.get("/audit").status_code == 403


def test_staff_filter_events_by_app_and_account(client: TestClient, world: World) -> None:
    first, second = world.account(), world.account()
    app, other_app = world.app(), world.app()
    world.install(app, first)
    world.install(app, second)
    world.install(other_app, first)
    log_in(client, world.user(None))
    page = client.get(f"/audit?event=install&app={app.client_id}").text
    rows = page.split("<tbody>")[1]
    assert first.name in rows
    assert second.name in rows
    assert other_app.name not in rows
    rows = client.get(f"/audit?event=install&account={second.id}").text.split("<tbody>")[1]
    assert second.name in rows
    assert first.name not in rows
