"""What a new partner reads first: ``/openapi.json`` names the authorization server's
endpoints, and ``/docs`` renders from the platform's own assets (no CDN, no internet)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import World, exchange
from zentail.app import create_app
from zentail.settings import Settings


@pytest.fixture(scope="module")
def offline_client() -> Any:
    app = create_app(Settings(database_url="sqlite://"))
    with TestClient(app) as client:
        yield client
    app.state.platform.close()


@pytest.mark.parametrize(
    ("path", "required"),
    [("/v1/token", "grant_type"), ("/v1/revoke", "token"), ("/v1/introspect", "token")],
)
def test_authorization_server_endpoints_are_form_posts_with_basic_client_auth(
    offline_client: TestClient, path: str, required: str
) -> None:
    document = offline_client.get("/openapi.json").json()
    operation = document["paths"][path]["post"]
    assert list(document["paths"][path]) == ["post"]
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert required in form["required"]
    assert operation["security"] == [{"clientBasic": []}]
    assert document["components"]["securitySchemes"]["clientBasic"] == {
        "type": "http",
        "scheme": "basic",
        "description": "The app's client ID and client secret (RFC 6749 §2.3.1).",
    }
    error = operation["responses"]["401"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/OAuthError"}
    assert (
        "invalid_grant"
        in document["components"]["schemas"]["OAuthError"]["properties"]["error"]["enum"]
    )


def test_the_documented_token_endpoint_still_answers_rfc_6749_errors_not_problems(
    client: TestClient,
) -> None:
    answer = client.post("/v1/token", data={"grant_type": "authorization_code"})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == "invalid_client"


def test_the_token_endpoint_as_documented_issues_a_token(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    answer = exchange(client, app, world.code(app, account))
    schema = client.get("/openapi.json").json()["paths"]["/v1/token"]["post"]["responses"]["200"]
    documented = schema["content"]["application/json"]["schema"]["required"]
    assert answer.status_code == 200
    assert set(documented) <= set(answer.json())


def test_docs_page_loads_swagger_ui_from_the_platform_itself(offline_client: TestClient) -> None:
    page = offline_client.get("/docs")
    assert page.status_code == 200
    assert "https://" not in page.text
    assert "http://" not in page.text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/swagger-ui/swagger-ui.css" in assets
    for asset in assets:
        served = offline_client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100, asset


def test_the_platforms_own_static_files_are_still_served(offline_client: TestClient) -> None:
    assert offline_client.get("/static/style.css").status_code == 200


def test_token_diagnostics_are_documented_as_a_get_with_basic_client_auth_and_a_form_post(
    offline_client: TestClient,
) -> None:
    document = offline_client.get("/openapi.json").json()
    methods = document["paths"]["/v1/diagnostics/token"]
    assert sorted(methods) == ["get", "post"]
    form = methods["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert sorted(form["schema"]["properties"]) == ["client_assertion", "client_assertion_type"]
    operation = methods["get"]
    assert "requestBody" not in operation
    assert operation["security"] == [{"clientBasic": []}]
    results = operation["responses"]["200"]["content"]["application/json"]["schema"]
    entry = results["properties"]["results"]["items"]
    assert entry["required"] == ["at", "error", "reason", "detail", "sourceIp"]
