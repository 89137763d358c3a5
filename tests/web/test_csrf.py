"""Every form POST must carry the session's CSRF token (RFC 6749 §10.12 for Install)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import World
from tests.web.pages import log_in


def test_install_without_the_csrf_token_is_refused_and_installs_nothing(
    client: TestClient, world: World
) -> None:
    account, app = world.account(), world.app()
    log_in(client, account.admin_email)
    answer = client.post(f"/apps/{app.client_id}/install", follow_redirects=False)
    assert answer.status_code == 403
    assert "text/html" in answer.headers["content-type"]
    assert "This form could not be accepted" in answer.text
    assert app.name not in client.get("/installed").text


def test_a_token_from_another_session_is_refused(client: TestClient, world: World) -> None:
    account, app = world.account(), world.app()
    log_in(client, account.admin_email)
    answer = client.post(
        f"/apps/{app.client_id}/install",
        data={"csrf_token": "a-token-from-some-other-session"},
        follow_redirects=False,
    )
    assert answer.status_code == 403


def test_a_post_without_any_session_says_the_session_expired(client: TestClient) -> None:
    answer = client.post("/logout", data={"csrf_token": "anything"})
    assert answer.status_code == 403
    assert "Your session has expired" in answer.text
    assert 'href="/login"' in answer.text


def test_login_itself_needs_the_token(client: TestClient, world: World) -> None:
    account = world.account()
    client.get("/login")
    answer = client.post(
        "/login",
        data={"email": account.admin_email, "password": "correct-horse-battery"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
