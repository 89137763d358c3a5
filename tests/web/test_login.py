"""Login and logout: argon2-checked passwords, lockout, session regeneration, cookie flags."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support import PASSWORD, World
from tests.web.pages import csrf_token, log_in, submit
from zentail.app import create_app
from zentail.settings import Settings


def test_pages_need_a_login_and_come_back_after_it(client: TestClient, world: World) -> None:
    account = world.account()
    answer = client.get("/installed", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Finstalled"

    login = submit(
        client,
        "/login?next=/installed",
        "/login",
        {"email": account.admin_email, "password": "correct-horse-battery", "next": "/installed"},
    )
    assert login.status_code == 303
    assert login.headers["location"] == "/installed"
    assert client.get("/installed").status_code == 200


def test_a_wrong_password_is_refused_without_a_session(client: TestClient, world: World) -> None:
    account = world.account()
    answer = submit(client, "/login", "/login", {"email": account.admin_email, "password": "nope"})
    assert answer.status_code == 400
    assert "Wrong e-mail or password" in answer.text
    assert client.get("/apps", follow_redirects=False).status_code == 303


def test_repeated_failures_lock_the_login_even_for_the_right_password(
    client: TestClient, world: World
) -> None:
    account = world.account()
    max_failures = client.app.state.platform.settings.login_max_failures  # type: ignore[attr-defined]
    for _ in range(max_failures):
        submit(client, "/login", "/login", {"email": account.admin_email, "password": "wrong"})
    answer = submit(
        client,
        "/login",
        "/login",
        {"email": account.admin_email, "password": "correct-horse-battery"},
    )
    assert answer.status_code == 429
    assert "locked" in answer.text
    assert client.get("/apps", follow_redirects=False).status_code == 303


def test_login_replaces_the_session_and_its_csrf_token(client: TestClient, world: World) -> None:
    account = world.account()
    before = csrf_token(client, "/login")
    log_in(client, account.admin_email)
    after = csrf_token(client, "/apps")
    assert after != before


def test_logout_ends_the_session(client: TestClient, world: World) -> None:
    account = world.account()
    log_in(client, account.admin_email)
    answer = submit(client, "/apps", "/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert client.get("/apps", follow_redirects=False).status_code == 303
    assert "You have logged out" in client.get("/login").text


def test_logout_also_ends_a_copy_of_the_session_cookie(
    app: FastAPI, client: TestClient, world: World
) -> None:
    account = world.account()
    log_in(client, account.admin_email)
    stolen = client.cookies.get("zentail_session")
    assert stolen
    submit(client, "/apps", "/logout")
    with TestClient(app, base_url="http://testserver") as other:
        other.cookies.set("zentail_session", stolen)
        answer = other.get("/apps", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


@pytest.fixture(scope="module")
def slow_refill_app(settings: Settings) -> Iterator[FastAPI]:
    """An address's failure bucket that refills one failure a day, so that however slowly
    the attempts run (argon2 on a busy machine), none is given back during the test."""
    application = create_app(settings.model_copy(update={"login_lockout_seconds": 86_400 * 50}))
    yield application
    application.state.platform.close()


def test_failed_logins_from_one_address_are_throttled_whatever_the_email(
    slow_refill_app: FastAPI, world: World
) -> None:
    account = world.account()
    limit = slow_refill_app.state.platform.settings.login_max_failures_per_address
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    with TestClient(
        slow_refill_app, base_url="http://testserver", client=(address, 40000)
    ) as client:
        for attempt in range(limit):
            wrong = submit(
                client,
                "/login",
                "/login",
                {"email": f"nobody-{attempt}@example.com", "password": "wrong-password"},
            )
            assert wrong.status_code == 400
        throttled = submit(
            client, "/login", "/login", {"email": account.admin_email, "password": PASSWORD}
        )
    assert throttled.status_code == 429
    assert "Too many failed logins" in throttled.text


def test_an_unreadable_or_expired_session_cookie_asks_to_log_in_again(
    client: TestClient,
) -> None:
    client.cookies.set("zentail_session", "expired-or-forged")
    answer = client.get("/apps", follow_redirects=False)
    assert answer.status_code == 303
    assert "expired=1" in answer.headers["location"]
    assert "Your session has expired" in client.get(answer.headers["location"]).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(client: TestClient, world: World, target: str) -> None:
    account = world.account()
    answer = submit(
        client,
        "/login",
        "/login",
        {"email": account.admin_email, "password": "correct-horse-battery", "next": target},
    )
    assert answer.headers["location"] == "/apps"


def test_session_cookie_is_http_only_and_same_site_lax(client: TestClient) -> None:
    cookie = client.get("/login").headers["set-cookie"]
    assert cookie.startswith("zentail_session=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # the test issuer is http


@pytest.fixture
def https_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"issuer": "https://platform.example"}))
    with TestClient(app, base_url="https://platform.example") as client:
        yield client
    app.state.platform.close()


def test_session_cookie_is_secure_when_the_issuer_is_https(https_client: TestClient) -> None:
    cookie = https_client.get("/login").headers["set-cookie"].lower()
    assert "; secure" in cookie
    assert "samesite=lax" in cookie
