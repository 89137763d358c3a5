"""``/v1/authorize``, the partner-initiated entry point (RFC 6749 §4.1, RFC 7636, RFC 9207):
login and back, the consent page, Approve and Deny, and every refusal: a page where the
redirect URI cannot be trusted, a redirect with ``error``, ``state`` and ``iss`` otherwise."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from tests import support
from tests.security.helpers import events
from tests.support import TestAccount, TestApp, World, exchange_body, query_params
from tests.web.pages import CSRF_FIELD, hidden_fields, log_in
from zentail.oauth.pkce import s256
from zentail.platform import Platform

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
STATE = "af0ifjsldkj"


def authorize_url(app: TestApp, **changes: str | None) -> str:
    return support.authorize_url(app, s256(VERIFIER), **({"state": STATE} | changes))


def decide(client: TestClient, url: str, decision: str) -> httpx.Response:
    form = hidden_fields(client.get(url)) | {"decision": decision}
    return client.post("/v1/authorize", data=form, follow_redirects=False)


def redirected_to(answer: httpx.Response, app: TestApp) -> dict[str, str]:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(app.redirect_uri + "?")
    return query_params(location)


def error_redirect(client: TestClient, url: str, app: TestApp) -> dict[str, str]:
    return redirected_to(client.get(url, follow_redirects=False), app)


@pytest.fixture
def admin(client: TestClient, world: World) -> TestAccount:
    account = world.account()
    log_in(client, account.admin_email)
    return account


def test_approve_redirects_with_code_state_and_iss_and_the_code_needs_its_verifier(
    client: TestClient, world: World, admin: TestAccount, platform: Platform
) -> None:
    app = world.app(scopes="salesOrder:read salesOrder:write")
    params = redirected_to(decide(client, authorize_url(app), "approve"), app)
    assert params.keys() == {"code", "state", "iss"}
    assert (params["state"], params["iss"]) == (STATE, platform.settings.issuer)
    body = exchange_body(params["code"], app.redirect_uri) | {"code_verifier": VERIFIER}
    token = client.post("/v1/token", data=body, headers={"Authorization": app.basic})
    assert token.status_code == 200
    assert token.json().keys() == {"access_token", "token_type"}
    orders = client.get("/v1/salesOrder", headers={"Authorization": token.json()["access_token"]})
    assert orders.status_code == 200


def test_the_consent_page_shows_the_app_its_logo_and_the_requested_scopes_only(
    client: TestClient, world: World, admin: TestAccount
) -> None:
    app = world.app(scopes="salesOrder:read inventory:write")
    page = client.get(authorize_url(app))
    assert page.status_code == 200
    assert f"Connect {app.name} to {admin.name}?" in page.text
    assert f'src="/apps/{app.client_id}/logo"' in page.text
    assert "Read your sales orders" in page.text
    assert "Update inventory levels" not in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_consent_page_forbids_framing(
    client: TestClient, world: World, admin: TestAccount
) -> None:
    page = client.get(authorize_url(world.app()))
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_approve_installs_with_the_requested_scopes_as_the_install_button_does(
    client: TestClient, world: World, admin: TestAccount, platform: Platform
) -> None:
    app = world.app(scopes="salesOrder:read salesOrder:write")
    decide(client, authorize_url(app), "approve")
    installed = client.get("/installed").text
    assert app.name in installed
    assert "Read your sales orders" in installed
    assert "Create sales orders" not in installed
    for name in ("install", "code.issued"):
        (event,) = events(platform, name, app_id=app.id)
        assert (event.actor, event.account_id) == (f"user:{admin.admin_email}", admin.id)


def test_an_omitted_scope_grants_the_apps_registered_scopes(
    client: TestClient, world: World, admin: TestAccount
) -> None:
    app = world.app(scopes="salesOrder:read inventory:write")
    page = client.get(authorize_url(app, scope=None))
    assert hidden_fields(page)["scope"] == "salesOrder:read inventory:write"
    assert "Update inventory levels" in page.text


def test_deny_redirects_with_access_denied_state_and_iss(
    client: TestClient, world: World, admin: TestAccount, platform: Platform
) -> None:
    app = world.app()
    params = redirected_to(decide(client, authorize_url(app), "deny"), app)
    assert params == {
        "error": "access_denied",
        "error_description": "The account admin denied the request",
        "state": STATE,
        "iss": platform.settings.issuer,
    }
    assert app.name not in client.get("/installed").text


def test_without_a_session_the_browser_logs_in_and_comes_back_to_the_request(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app()
    url = authorize_url(app)
    answer = client.get(url, follow_redirects=False)
    assert answer.status_code == 303
    login = answer.headers["location"]
    assert login == "/login?" + urlencode({"next": url})
    page = client.get(login)
    token = CSRF_FIELD.search(page.text)
    assert token
    form = {"csrf_token": token.group(1), "email": account.admin_email}
    form |= {"password": "correct-horse-battery", "next": url}
    back = client.post("/login", data=form, follow_redirects=False)
    assert (back.status_code, back.headers["location"]) == (303, url)
    assert f"Connect {app.name}" in client.get(url).text


def test_posting_the_consent_without_the_csrf_token_is_refused(
    client: TestClient, world: World, admin: TestAccount
) -> None:
    app = world.app()
    form = hidden_fields(client.get(authorize_url(app)))
    del form["csrf_token"]
    answer = client.post("/v1/authorize", data=form | {"decision": "approve"})
    assert answer.status_code == 403
    assert "location" not in answer.headers
    assert app.name not in client.get("/installed").text


def test_the_posted_parameters_are_validated_again(
    client: TestClient, world: World, admin: TestAccount
) -> None:
    app, other = world.app(scopes="salesOrder:read"), world.app()
    form = hidden_fields(client.get(authorize_url(app)))
    widened = client.post(
        "/v1/authorize",
        data=form | {"scope": "salesOrder:read salesOrder:write", "decision": "approve"},
        follow_redirects=False,
    )
    assert redirected_to(widened, app)["error"] == "invalid_scope"
    elsewhere = client.post(
        "/v1/authorize",
        data=form | {"redirect_uri": other.redirect_uri, "decision": "approve"},
        follow_redirects=False,
    )
    assert elsewhere.status_code == 400
    assert "location" not in elsewhere.headers


@pytest.mark.parametrize(
    "redirect_uri",
    [None, "https://evil.example/oauth_callback", "{registered}/", "{registered}?x=1"],
    ids=["missing", "another-site", "trailing-slash", "extra-query"],
)
def test_a_redirect_uri_other_than_the_registered_one_shows_a_page_and_does_not_redirect(
    client: TestClient, world: World, admin: TestAccount, redirect_uri: str | None
) -> None:
    app = world.app()
    uri = redirect_uri.format(registered=app.redirect_uri) if redirect_uri else None
    answer = client.get(authorize_url(app, redirect_uri=uri), follow_redirects=False)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    assert "This authorization request cannot be accepted" in answer.text


@pytest.mark.parametrize(
    ("client_id", "message"),
    [
        (None, "The request does not name one application (client_id)."),
        ("no-such-client", "There is no such application (client_id)."),
    ],
    ids=["missing", "unknown"],
)
def test_an_unknown_or_missing_client_shows_a_page_and_does_not_redirect(
    client: TestClient, world: World, client_id: str | None, message: str
) -> None:
    app = world.app()
    answer = client.get(authorize_url(app, client_id=client_id), follow_redirects=False)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert message in answer.text


@pytest.mark.parametrize(
    ("changes", "error", "description"),
    [
        (
            {"code_challenge_method": "plain"},
            "invalid_request",
            "code_challenge_method must be S256",
        ),
        (
            {"code_challenge": None},
            "invalid_request",
            "code_challenge is required (PKCE with S256)",
        ),
        (
            {"response_type": "token"},
            "unsupported_response_type",
            "Only response_type=code is supported",
        ),
        (
            {"scope": "salesOrder:write"},
            "invalid_scope",
            "The requested scope is unknown or beyond the registered scopes",
        ),
        (
            {"scope": "no:such"},
            "invalid_scope",
            "The requested scope is unknown or beyond the registered scopes",
        ),
    ],
    ids=["plain", "no-challenge", "response-type", "beyond-registered", "unknown-scope"],
)
def test_a_refused_request_redirects_with_the_error_its_description_state_and_iss(
    client: TestClient,
    world: World,
    platform: Platform,
    changes: dict[str, str | None],
    error: str,
    description: str,
) -> None:
    app = world.app(scopes="salesOrder:read")
    assert error_redirect(client, authorize_url(app, **changes), app) == {
        "error": error,
        "error_description": description,
        "state": STATE,
        "iss": platform.settings.issuer,
    }


def test_a_suspended_app_is_unauthorized_client(
    client: TestClient, world: World, admin: TestAccount
) -> None:
    app = world.app()
    world.set_app_active(app, False)
    assert error_redirect(client, authorize_url(app), app)["error"] == "unauthorized_client"


def test_a_member_cannot_approve(client: TestClient, world: World) -> None:
    account, app = world.account(), world.app()
    log_in(client, world.user(account, "member"))
    page = client.get(authorize_url(app))
    assert page.status_code == 403
    assert "Only account admins can connect apps" in page.text


def test_the_code_of_an_approved_request_is_refused_without_its_verifier(
    client: TestClient, world: World, admin: TestAccount
) -> None:
    app = world.app()
    params = redirected_to(decide(client, authorize_url(app), "approve"), app)
    body = exchange_body(params["code"], app.redirect_uri)
    answer = client.post("/v1/token", data=body, headers={"Authorization": app.basic})
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")


def test_the_metadata_advertises_the_authorization_endpoint_pkce_and_iss(
    client: TestClient, platform: Platform
) -> None:
    document = client.get("/.well-known/oauth-authorization-server").json()
    issuer = platform.settings.issuer
    assert document["authorization_endpoint"] == f"{issuer}/v1/authorize"
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert urlsplit(document["authorization_endpoint"]).path == "/v1/authorize"
