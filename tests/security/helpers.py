"""Helpers shared by the checklist tests (docs/security.md maps items to tests)."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select, update

from tests.support import TestApp, basic
from zentail.platform import Platform
from zentail.storage.models import AuditEvent, AuthorizationCode

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# RFC 6749 §5.2: error_description = *( %x20-21 / %x23-5B / %x5D-7E ); fullmatch, since a
# pattern ending in `$` would also accept a trailing newline.
ERROR_DESCRIPTION_CHARSET = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]*")

Client = Any  # a TestClient or an httpx.Client: both speak httpx's API


def token_request(client: Client, app: TestApp, code: str, /, **extra: str) -> httpx.Response:
    """A well-formed ``client_secret_basic`` exchange; ``extra`` adds or overrides fields."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
    response: httpx.Response = client.post(
        "/v1/token", data={**data, **extra}, headers={"Authorization": app.basic}
    )
    return response


def api_status(client: Client, token: str) -> int:
    """The Open API's verdict on a token: 200 when it works, 401 when it does not."""
    status: int = client.get("/v1/salesOrder", headers={"Authorization": token}).status_code
    return status


def introspect(client: Client, app: TestApp, token: str) -> dict[str, Any]:
    response = client.post(
        "/v1/introspect", data={"token": token}, headers={"Authorization": app.basic}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def revoke(client: Client, app: TestApp, token: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/v1/revoke", data={"token": token}, headers={"Authorization": app.basic}
    )
    return response


def wrong_secret(app: TestApp) -> str:
    return basic(app.client_id, "0" * 64)


def events(platform: Platform, event: str, *, app_id: int | None = None) -> list[AuditEvent]:
    with platform.db.session() as session:
        statement = select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)
        if app_id is not None:
            statement = statement.where(AuditEvent.app_id == app_id)
        return list(session.scalars(statement))


def expire_code(platform: Platform, code: str) -> None:
    """Move a code's expiry into the past through the database (no sleeping)."""
    with platform.db.session(write=True) as session:
        session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.digest == platform.keyring.digest(code))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    """An RFC 6749 §5.2 error: status, JSON ``error``, a legal description, no-store."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error
    assert ERROR_DESCRIPTION_CHARSET.fullmatch(body.get("error_description", ""))
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def concurrently(
    base_url: str, count: int, request: Callable[[httpx.Client], httpx.Response]
) -> list[httpx.Response]:
    """``request`` sent by ``count`` clients, each on its own connection, released at once."""
    start = threading.Barrier(count)

    def one() -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            start.wait()
            return request(http)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(one) for _ in range(count)]
        return [future.result() for future in futures]
