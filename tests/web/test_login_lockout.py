"""The login lockout under concurrency and against enumeration, on both databases.

Failures are counted per e-mail address with one atomic upsert each, so parallel failures
all count; the password check runs outside any transaction; and an unknown address is
locked out exactly like an existing one, so the answers never tell them apart.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support import PASSWORD, World
from tests.web.pages import submit
from zentail.app import create_app
from zentail.domain import users
from zentail.domain.actors import Actor
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.models import AuditEvent, User

CONCURRENT = 50


@pytest.fixture(scope="module")
def lockout_app(settings: Settings) -> Iterator[FastAPI]:
    """Fifty failures lock an address; the per-address throttle never gets in the way."""
    application = create_app(
        settings.model_copy(
            update={"login_max_failures": CONCURRENT, "login_max_failures_per_address": 10_000}
        )
    )
    yield application
    application.state.platform.close()


def attempt(platform: Platform, email: str, password: str) -> bool | users.LoginRefused:
    policy = users.LockoutPolicy(
        platform.settings.login_max_failures, platform.settings.login_lockout_seconds
    )
    try:
        users.log_in(
            platform.db,
            platform.keyring,
            email=email,
            password=password,
            policy=policy,
            actor=Actor(label="test"),
        )
    except users.LoginRefused as refused:
        return refused
    return True


def in_parallel(count: int, call: Callable[[], object]) -> list[object]:
    start = threading.Barrier(count)

    def one() -> object:
        start.wait()
        return call()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return [f.result() for f in [pool.submit(one) for _ in range(count)]]


def failures_audited(platform: Platform, email: str) -> int:
    with platform.db.session() as session:
        account_id = session.scalar(select(User.account_id).where(User.email == email))
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.event == "user.login_failed", AuditEvent.account_id == account_id)
            )
            or 0
        )


def test_fifty_parallel_failures_all_count_and_lock_the_user(
    lockout_app: FastAPI, world: World
) -> None:
    platform: Platform = lockout_app.state.platform
    email = world.account().admin_email
    results = in_parallel(CONCURRENT, lambda: attempt(platform, email, "wrong-password"))
    assert all(isinstance(r, users.LoginRefused) for r in results)
    assert failures_audited(platform, email) == CONCURRENT
    refused = attempt(platform, email, PASSWORD)
    assert isinstance(refused, users.LoginRefused)
    assert refused.locked


def test_the_password_is_checked_while_no_database_connection_is_held(
    lockout_app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 takes tens of milliseconds; holding a connection (on SQLite: the database's
    write lock) meanwhile would queue every other writer behind it."""
    platform: Platform = lockout_app.state.platform
    email = world.account().admin_email
    verify = users._verify
    held_during_verify: list[int] = []

    def observed(password_hash: str, password: str) -> bool:
        held_during_verify.append(platform.db.engine.pool.checkedout())  # type: ignore[attr-defined]
        return verify(password_hash, password)

    monkeypatch.setattr(users, "_verify", observed)
    assert isinstance(attempt(platform, email, "wrong-password"), users.LoginRefused)
    assert attempt(platform, email, PASSWORD) is True
    assert attempt(platform, f"nobody-{uuid.uuid4().hex}@example.com", "x") is not True
    assert held_during_verify == [0, 0, 0]


def test_after_repeated_failures_an_unknown_email_is_answered_like_an_existing_one(
    app: FastAPI, world: World
) -> None:
    existing = world.account().admin_email
    unknown = f"nobody-{uuid.uuid4().hex[:10]}@example.com"
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    max_failures = app.state.platform.settings.login_max_failures
    answers = {}
    with TestClient(app, base_url="http://testserver", client=(address, 40000)) as client:
        for email in (existing, unknown):
            seen = []
            for _ in range(max_failures + 2):
                response = submit(
                    client, "/login", "/login", {"email": email, "password": "wrong-password"}
                )
                message = response.text.split('role="alert">', 1)[-1].split("<", 1)[0]
                seen.append((response.status_code, message.replace(email, "EMAIL")))
            answers[email] = seen
    assert answers[existing] == answers[unknown]
    assert answers[existing][-1][0] == 429
