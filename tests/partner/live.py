"""Partner-side helpers for tests against a live server: the platform rows come from
:class:`~tests.support.World` (same database as ``live_server``); the install itself goes
through the ``zentail install`` CLI, whose output is the callback URL."""

from __future__ import annotations

import json
from typing import Literal

import zentail_partner as partner
from tests.support import LiveServer, TestAccount, World


def new_app(world: World, redirect_uri: str) -> partner.AppCredentials:
    app = world.app(redirect_uri=redirect_uri)
    return partner.AppCredentials(app.client_id, app.client_secret, redirect_uri)


def install(server: LiveServer, app: partner.AppCredentials, account: TestAccount) -> str:
    """``zentail install``: the callback URL the platform redirects the browser to."""
    result = server.cli("install", app.client_id, "--account", str(account.id), "--json")
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["redirect_url"])


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


def create_orders(
    server: LiveServer, world: World, account: TestAccount, *orders: partner.NewSalesOrder
) -> None:
    """Create orders in ``account`` through the API with an ad-hoc account token."""
    with partner.Client(server.base_url, world.account_token(account)) as api:
        for order in orders:
            api.call(partner.create_sales_order(order))
