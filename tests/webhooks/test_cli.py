"""``zentail apps set-webhook`` and ``zentail apps deliveries``."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.support import LiveServer, World
from zentail.platform import Platform
from zentail.storage.models import App


def test_set_webhook_prints_the_secret_once_and_stores_it_sealed(
    live_server: LiveServer, world: World, platform: Platform
) -> None:
    app = world.app()
    result = live_server.cli(
        "apps", "set-webhook", app.client_id, "--url", "https://hooks.example/in", "--json"
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["webhook_url"] == "https://hooks.example/in"
    assert printed["secret"].startswith("whsec_")
    with platform.db.session() as session:
        sealed = session.scalar(select(App.webhook_secret_sealed).where(App.id == app.id))
    assert sealed is not None
    assert printed["secret"].encode() not in sealed
    shown = live_server.cli("apps", "show", app.client_id, "--json")
    assert printed["secret"] not in shown.stdout
    world.install(app, world.account())
    listed = json.loads(live_server.cli("apps", "deliveries", app.client_id, "--json").stdout)
    # hooks.example does not resolve: the live server's attempts fail and are retried.
    assert [(d["type"], d["status"]) for d in listed] == [("app.installed", "pending")]


def test_set_webhook_refuses_plain_http_to_a_remote_host(
    live_server: LiveServer, world: World
) -> None:
    app = world.app()
    result = live_server.cli(
        "apps", "set-webhook", app.client_id, "--url", "http://hooks.example/in"
    )
    assert result.returncode == 2
    assert "must use https" in result.stderr
