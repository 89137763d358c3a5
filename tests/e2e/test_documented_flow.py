"""The flow exactly as Zentail documents it, over HTTP against a running server set up with
the CLI: register → install → the documented curl exchange → GET /v1/salesOrder."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import httpx

from tests.support import LiveServer, query_params


def _json(result: object) -> dict[str, object]:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    data: dict[str, object] = json.loads(result.stdout)  # type: ignore[attr-defined]
    return data


def test_documented_curl_request_obtains_a_token_that_reads_pending_orders(
    live_server: LiveServer,
) -> None:
    account = _json(
        live_server.cli(
            "accounts",
            "create",
            "--name",
            "Documented Flow Seller",
            "--admin-email",
            "docs-flow@example.com",
            "--json",
        )
    )
    redirect_uri = f"{live_server.base_url}/partner/oauth_callback"
    app = _json(
        live_server.cli(
            "apps",
            "register",
            "--name",
            "Documented Flow App",
            "--contact-email",
            "dev@partner.example",
            "--redirect-uri",
            redirect_uri,
            "--scopes",
            "salesOrder:read salesOrder:write",
            "--json",
        )
    )
    install = _json(
        live_server.cli(
            "install", str(app["client_id"]), "--account", str(account["account_id"]), "--json"
        )
    )
    redirect_url = str(install["redirect_url"])
    assert redirect_url.startswith(redirect_uri + "?client_id=")
    code = query_params(redirect_url)["code"]

    # `echo id:secret | base64 -w0` (a trailing newline, as the docs' example has)
    credentials = f"{app['client_id']}:{app['client_secret']}\n".encode()
    basic = base64.b64encode(credentials).decode()
    assert basic.endswith("o=")
    with httpx.Client(base_url=live_server.base_url) as http:
        # curl -d … sends exactly this body and content type; `authorization_code=` as documented
        exchange = http.post(
            "/v1/token",
            headers={
                "AUTHORIZATION": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            content=(
                f"grant_type=authorization_code&authorization_code={code}"
                f"&redirect_uri={quote(redirect_uri, safe='')}"
            ),
        )
        assert exchange.status_code == 200, exchange.text
        assert set(exchange.json()) == {"access_token", "token_type"}
        assert exchange.json()["token_type"] == "bearer"
        token = exchange.json()["access_token"]

        created = http.post(
            "/v1/salesOrder",
            headers={"AUTHORIZATION": token},
            json={
                "channelOrderId": "DOC-1",
                "status": "PENDING",
                "orderTs": "2026-01-02T03:04:05Z",
                "shippingAddress": {
                    "name": "Ada",
                    "address1": "1 Main St",
                    "city": "Boston",
                    "state": "MA",
                    "postalCode": "02110",
                    "country": "US",
                },
                "products": [{"requestedSku": "SKU-1", "quantity": 2, "unitPrice": 9.5}],
            },
        )
        assert created.status_code == 201, created.text

        orders = http.get(
            "/v1/salesOrder?status=PENDING",
            headers={"AUTHORIZATION": token, "accept": "application/json"},
        )
    assert orders.status_code == 200, orders.text
    numbers = [order["orderNumber"] for order in orders.json()["results"]]
    assert numbers == [created.json()["orderNumber"]]


def test_server_log_holds_no_code_secret_or_token(live_server: LiveServer) -> None:
    account = _json(
        live_server.cli(
            "accounts",
            "create",
            "--name",
            "Log Check Seller",
            "--admin-email",
            "log-check@example.com",
            "--json",
        )
    )
    app = _json(
        live_server.cli(
            "apps",
            "register",
            "--name",
            "Log Check App",
            "--contact-email",
            "dev@log.example",
            "--redirect-uri",
            "https://log.example/cb",
            "--scopes",
            "salesOrder:read",
            "--json",
        )
    )
    code = query_params(
        str(
            _json(
                live_server.cli(
                    "install",
                    str(app["client_id"]),
                    "--account",
                    str(account["account_id"]),
                    "--json",
                )
            )["redirect_url"]
        )
    )["code"]
    with httpx.Client(base_url=live_server.base_url) as http:
        response = http.post(
            "/v1/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "https://log.example/cb",
            },
            auth=(str(app["client_id"]), str(app["client_secret"])),
        )
        token = response.json()["access_token"]
        http.get("/v1/salesOrder", headers={"Authorization": f"Bearer {token}"})
    log = live_server.log()
    assert "/v1/token" in log
    for credential in (code, str(app["client_secret"]), token):
        assert credential not in log
