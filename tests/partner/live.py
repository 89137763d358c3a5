"""Setting up accounts and partner apps on a live server through the ``zentail`` CLI."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from tests.support import LiveServer
from zentail import partner


def cli_json(server: LiveServer, *args: str) -> Any:
    result = server.cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def new_account(server: LiveServer) -> int:
    suffix = uuid.uuid4().hex[:10]
    created = cli_json(
        server,
        "accounts",
        "create",
        "--name",
        f"Seller {suffix}",
        "--admin-email",
        f"admin-{suffix}@example.com",
    )
    return int(created["account_id"])


def new_app(server: LiveServer, redirect_uri: str) -> partner.AppCredentials:
    suffix = uuid.uuid4().hex[:10]
    created = cli_json(
        server,
        "apps",
        "register",
        "--name",
        f"Partner {suffix}",
        "--contact-email",
        f"dev-{suffix}@partner.example",
        "--redirect-uri",
        redirect_uri,
        "--scopes",
        "salesOrder:read salesOrder:write",
    )
    return partner.AppCredentials(created["client_id"], created["client_secret"], redirect_uri)


def install(server: LiveServer, app: partner.AppCredentials, account_id: int) -> str:
    """``zentail install``: the callback URL the platform redirects the browser to."""
    installed = cli_json(server, "install", app.client_id, "--account", str(account_id))
    return str(installed["redirect_url"])


def account_token(server: LiveServer, account_id: int) -> str:
    created = cli_json(
        server, "tokens", "create", "--account", str(account_id), "--label", "test orders"
    )
    return str(created["token"])


def new_order(
    channel_order_id: str, status: Literal["PENDING", "PENDING_PAYMENT"] = "PENDING"
) -> partner.NewSalesOrder:
    return {
        "channelOrderId": channel_order_id,
        "status": status,
        "orderTs": "2026-01-02T03:04:05Z",
        "shippingAddress": {
            "name": "Ada Lovelace",
            "address1": "1 Main St",
            "city": "Boston",
            "state": "MA",
            "postalCode": "02110",
            "country": "US",
        },
        "products": [{"requestedSku": "MUG-WHITE", "quantity": 2, "unitPrice": 9.5}],
    }
