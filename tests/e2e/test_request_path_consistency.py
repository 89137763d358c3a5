"""The request path's promises, against real server processes (issue: the request path at the
speed of the machine). Principals and clients are cached per process; these tests prove the
caches never outlive a change:

- a token revoked, replaced, uninstalled or suspended through one server process is refused by
  another (two workers each) on the very next request, every time;
- while a request waits on a database lock, the same worker keeps answering others.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest

from tests.support import (
    LiveServer,
    TestAccount,
    TestApp,
    World,
    exchange,
    start_live_server,
    start_two_nodes,
)
from zentail.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.serial]

ROUNDS = 1000


@pytest.fixture(scope="module")
def two_nodes(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    if settings.redis_url is None:
        pytest.skip("several processes share caches' generations through Redis")
    with start_two_nodes(settings, tmp_path_factory.mktemp("nodes")) as nodes:
        yield nodes


def read(http: httpx.Client, token: str) -> int:
    response = http.get("/v1/salesOrder", headers={"AUTHORIZATION": token})
    return response.status_code


def test_a_change_through_one_process_is_seen_by_another_on_the_next_request(
    two_nodes: tuple[LiveServer, LiveServer], world: World
) -> None:
    node_a, node_b = two_nodes
    app, account = world.app(), world.account()
    outcomes: dict[str, int] = {"revoked": 0, "replaced": 0}
    with httpx.Client(base_url=node_a.base_url) as a, httpx.Client(base_url=node_b.base_url) as b:
        token = exchange(a, app, world.code(app, account)).json()["access_token"]
        for round_number in range(ROUNDS):
            # Both of node B's workers may hold the token: warm it twice.
            assert read(b, token) == 200
            assert read(b, token) == 200
            if round_number % 2:
                revoked = a.post(
                    "/v1/revoke", data={"token": token}, headers={"Authorization": app.basic}
                )
                assert revoked.status_code == 200
                outcomes["revoked"] += 1
                old, token = (
                    token,
                    exchange(a, app, world.code(app, account)).json()["access_token"],
                )
            else:
                old = token
                token = exchange(a, app, world.code(app, account)).json()["access_token"]
                outcomes["replaced"] += 1
            assert read(b, old) == 401, f"round {round_number}: a dead token was accepted"
            assert read(b, old) == 401, f"round {round_number}: a dead token was accepted"
    assert outcomes == {"revoked": ROUNDS // 2, "replaced": ROUNDS // 2}


def test_uninstall_and_suspension_are_seen_by_every_node_at_once(
    two_nodes: tuple[LiveServer, LiveServer], world: World
) -> None:
    node_a, node_b = two_nodes
    for change in ("uninstall", "suspend"):
        app, account = world.app(), world.account()
        with (
            httpx.Client(base_url=node_b.base_url) as b,
            httpx.Client(base_url=node_a.base_url) as a,
        ):
            token = exchange(a, app, world.code(app, account)).json()["access_token"]
            assert read(b, token) == 200
            assert read(b, token) == 200
            change_app(world, change, app, account)
            assert read(b, token) == 401
            assert read(b, token) == 401


def change_app(world: World, change: str, app: TestApp, account: TestAccount) -> None:
    if change == "uninstall":
        world.uninstall(app, account)
    else:
        world.set_app_active(app, False)


@pytest.fixture(scope="module")
def one_worker(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with start_live_server(settings, tmp_path_factory.mktemp("one") / "server.log") as server:
        yield server


def test_a_request_waiting_on_a_database_lock_does_not_stall_its_worker(
    one_worker: LiveServer, world: World, settings: Settings
) -> None:
    app, account = world.app(), world.account()
    token = world.account_token(account)
    code = world.code(app, account)
    with httpx.Client(base_url=one_worker.base_url, timeout=30) as http:
        assert read(http, token) == 200
        with hold_write_lock(settings.database_url):
            exchanging: dict[str, httpx.Response] = {}

            def exchange_in_background() -> None:
                with httpx.Client(base_url=one_worker.base_url, timeout=30) as own:
                    exchanging["response"] = exchange(own, app, code)

            waiting = threading.Thread(target=exchange_in_background)
            waiting.start()
            # The exchange is stuck behind the lock; the same (only) worker keeps serving.
            for _ in range(8):  # within the token's burst of 10
                assert read(http, token) == 200
                assert http.get("/healthz").status_code == 200
            assert "response" not in exchanging, "the exchange did not wait for the lock"
        waiting.join(timeout=30)
    assert exchanging["response"].status_code == 200


@contextmanager
def hold_write_lock(database_url: str) -> Iterator[None]:
    """Hold, from another connection, a lock an exchange must wait for: SQLite's single
    writer lock; on PostgreSQL, an exclusive lock on the codes table."""
    if database_url.startswith("sqlite"):
        lite = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        lite.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            lite.rollback()
            lite.close()
        return
    with psycopg.connect(database_url) as pg:
        pg.execute("LOCK TABLE authorization_codes IN EXCLUSIVE MODE")
        yield
        pg.rollback()
