"""Every page is HTML with anti-framing headers; errors are pages on the web and problem
details on the API; never a stack trace."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import World
from tests.web.pages import log_in
from zentail.app import create_app
from zentail.settings import Settings


def test_pages_forbid_framing(client: TestClient) -> None:
    page = client.get("/login")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_the_install_consent_page_forbids_framing(client: TestClient, world: World) -> None:
    account, app = world.account(), world.app()
    log_in(client, account.admin_email)
    page = client.get(f"/apps/{app.client_id}")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_an_unknown_page_is_an_html_404(client: TestClient, world: World) -> None:
    log_in(client, world.account().admin_email)
    answer = client.get("/no/such/page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Page not found" in answer.text


def test_an_unknown_app_is_an_html_404(client: TestClient, world: World) -> None:
    log_in(client, world.account().admin_email)
    answer = client.get("/apps/no-such-client")
    assert answer.status_code == 404
    assert "Not found" in answer.text


def test_api_errors_stay_problem_details(client: TestClient) -> None:
    answer = client.get("/v1/no-such-resource")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    unauthenticated = client.get("/v1/salesOrder")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["status"] == 401


def test_a_malformed_form_is_a_400_page_not_a_stack_trace(client: TestClient, world: World) -> None:
    account, app = world.account(), world.app()
    log_in(client, account.admin_email)
    page = client.get("/apps")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        f"/apps/{app.client_id}/install", data={"csrf_token": token, "account_id": "abc"}
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert "Some form fields are missing or invalid" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/installed?account=99999999999999999999",
        "/audit?account=99999999999999999999",
        "/staff/accounts/99999999999999999999",
        "/apps?account=0",
    ],
)
def test_an_id_beyond_any_row_is_a_400_page_not_a_database_error(
    client: TestClient, world: World, path: str
) -> None:
    log_in(client, world.user(None))
    answer = client.get(path)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")


def test_an_unexpected_error_is_a_plain_page_or_problem_never_a_trace(settings: Settings) -> None:
    app = create_app(settings)

    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/broken", broken)
    app.add_api_route("/v1/broken", broken)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            page = client.get("/broken")
            assert page.status_code == 500
            assert "Something went wrong" in page.text
            assert "secret internals" not in page.text
            problem = client.get("/v1/broken")
            assert problem.status_code == 500
            assert problem.headers["content-type"] == "application/problem+json"
            assert "secret internals" not in problem.text
    finally:
        app.state.platform.close()
