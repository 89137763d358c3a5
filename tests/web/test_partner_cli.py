"""``zentail partners create`` and ``zentail apps register --partner``: the developer it
creates logs in to the console and sees the attached app."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient

from tests.support import LiveServer
from tests.web.pages import log_in


def test_a_partner_created_on_the_command_line_owns_the_app_registered_for_it(
    live_server: LiveServer, client: TestClient
) -> None:
    suffix = uuid.uuid4().hex[:8]
    created = live_server.cli(
        "partners",
        "create",
        "--name",
        f"CLI Partner {suffix}",
        "--developer-email",
        f"dev-{suffix}@cli.example",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    partner = json.loads(created.stdout)
    assert isinstance(partner["partner_id"], int)
    password = partner["developer_password"]
    assert len(password) >= 12
    registered = live_server.cli(
        "apps",
        "register",
        "--name",
        f"CLI App {suffix}",
        "--contact-email",
        "a@cli.example",
        "--redirect-uri",
        "https://cli.example/cb",
        "--scopes",
        "salesOrder:read",
        "--partner",
        str(partner["partner_id"]),
        "--json",
    )
    assert registered.returncode == 0, registered.stderr
    app = json.loads(registered.stdout)
    assert app["partner_id"] == partner["partner_id"]
    assert log_in(client, f"dev-{suffix}@cli.example", password).headers["location"] == (
        "/developer"
    )
    assert f"CLI App {suffix}" in client.get("/developer").text


def test_register_with_an_unknown_partner_registers_nothing(live_server: LiveServer) -> None:
    name = f"Orphan {uuid.uuid4().hex[:8]}"
    registered = live_server.cli(
        "apps",
        "register",
        "--name",
        name,
        "--contact-email",
        "a@cli.example",
        "--redirect-uri",
        "https://cli.example/cb",
        "--scopes",
        "salesOrder:read",
        "--partner",
        "2000000000",
    )
    assert registered.returncode == 3
    assert name not in live_server.cli("apps", "list").stdout
