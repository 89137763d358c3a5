"""Readiness, metrics, request ids and the background purge, on both databases."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tests.support import World, free_port
from zentail.app import create_app
from zentail.observability import metrics, purge
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.gateway import PostgresGateway
from zentail.storage.migrate import upgrade
from zentail.storage.models import AuthorizationCode

LOOPBACK = ("127.0.0.1", 50000)
METRICS_TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture(scope="module")
def ops_app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings.model_copy(update={"metrics_token": METRICS_TOKEN}))
    yield application
    application.state.platform.close()


@contextmanager
def app_for(settings: Settings, **changes: object) -> Iterator[TestClient]:
    """A loopback client of an app of its own with ``changes`` to the settings."""
    application = create_app(settings.model_copy(update=changes))
    try:
        with TestClient(application, client=LOOPBACK) as client:
            yield client
    finally:
        application.state.platform.close()


# --- readiness --------------------------------------------------------------------------


def test_ready_when_the_database_is_at_head_and_redis_answers(ops_app: FastAPI) -> None:
    with TestClient(ops_app) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ready"
    assert body["not_ready"] == []
    assert {"database", "migrations"} <= set(body["checks"])
    assert ("redis" in body["checks"]) == bool(ops_app.state.platform.settings.redis_url)


def test_not_ready_while_migrations_are_behind(settings: Settings, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    upgrade(url, "0002")
    with app_for(settings, database_url=url, redis_url=None) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["not_ready"] == ["migrations"]
    assert "0002" in answer.json()["checks"]["migrations"]["detail"]


def test_not_ready_while_the_database_does_not_answer(settings: Settings) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    with app_for(settings, database_url=url, redis_url=None) as client:
        started = time.monotonic()
        answer = client.get("/readyz")
    assert time.monotonic() - started < 5
    assert answer.status_code == 503
    assert answer.json()["not_ready"] == ["database"]


def test_not_ready_while_redis_does_not_answer(settings: Settings) -> None:
    with app_for(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0") as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["not_ready"] == ["redis"]


# --- metrics ----------------------------------------------------------------------------


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition (0 when absent)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            return float(match.group(2))
    return 0.0


def test_metrics_are_readable_from_loopback_only_or_with_the_token(ops_app: FastAPI) -> None:
    with TestClient(ops_app) as remote:
        assert remote.get("/metrics").status_code == 404
        wrong = remote.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 404
        right = remote.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert right.status_code == 200
    with TestClient(ops_app, client=LOOPBACK) as local:
        answer = local.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    for name in (
        "zentail_http_requests_total",
        "zentail_http_request_duration_seconds",
        "zentail_token_exchanges_total",
        "zentail_rate_limited_total",
        "zentail_redis_fallback_total",
        "zentail_db_pool_connections_in_use",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in answer.text


def test_requests_are_counted_by_route_template_never_by_raw_path(ops_app: FastAPI) -> None:
    with TestClient(ops_app, client=LOOPBACK) as client:
        before = client.get("/metrics").text
        for _ in range(3):
            client.get("/readyz")
        client.get("/no/such/page/ztk_secretlooking")
        after = client.get("/metrics").text
    labels = {"route": "/readyz", "method": "GET", "status": "200"}
    counted = sample(after, "zentail_http_requests_total", **labels)
    assert counted - sample(before, "zentail_http_requests_total", **labels) == 3
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert sample(after, "zentail_http_requests_total", **unmatched) >= 1
    assert "ztk_secretlooking" not in after
    assert sample(after, "zentail_http_request_duration_seconds_count", route="/readyz") >= 3


# --- request ids ------------------------------------------------------------------------


def test_a_sane_request_id_is_returned_and_an_odd_one_replaced(ops_app: FastAPI) -> None:
    with TestClient(ops_app) as client:
        kept = client.get("/healthz", headers={"X-Request-ID": "abc-123.req"})
        replaced = client.get("/healthz", headers={"X-Request-ID": 'a b"c' + "x" * 200})
        generated = client.get("/no/such/page")
    assert kept.headers["x-request-id"] == "abc-123.req"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert generated.status_code == 404


# --- the background purge ---------------------------------------------------------------


def backdate(platform: Platform, code: str) -> None:
    with platform.db.session(write=True) as session:
        session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.digest == platform.keyring.digest(code))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
        )


def remaining(platform: Platform, codes: list[str]) -> int:
    digests = [platform.keyring.digest(code) for code in codes]
    with platform.db.session() as session:
        rows = session.scalars(
            select(AuthorizationCode.id).where(AuthorizationCode.digest.in_(digests))
        )
        return len(list(rows))


def test_the_server_purges_dead_codes_by_itself(settings: Settings, world: World) -> None:
    app, account = world.app(), world.account()
    dead = [world.code(app, account) for _ in range(5)]
    fresh = world.code(app, account)
    for code in dead:
        backdate(world.platform, code)
    with app_for(settings, purge_interval=1, purge_batch_size=2):
        deadline = time.monotonic() + 15
        while remaining(world.platform, dead) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert remaining(world.platform, dead) == 0
    assert remaining(world.platform, [fresh]) == 1


def test_one_node_at_a_time_purges(platform: Platform) -> None:
    """PostgreSQL: while one node holds the advisory lock, another skips its round. SQLite:
    there is one database file and one writer at a time; every round runs."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with purge.exclusive(platform) as held:
            assert held
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        result = purge.purge_once(platform)
    finally:
        release.set()
        holder.join()
    assert result.ran is platform.db.is_sqlite
    assert purge.purge_once(platform).ran


# --- the database pool gauge --------------------------------------------------------------


def pool_in_use(pool: str) -> float:
    return sample(metrics.exposition().decode(), "zentail_db_pool_connections_in_use", pool=pool)


def test_request_path_connections_are_counted_while_checked_out(platform: Platform) -> None:
    if platform.gateway.dialect != "postgresql":
        pytest.skip("SQLite's request path has no pool: a connection per thread")
    gateway = platform.gateway
    assert isinstance(gateway, PostgresGateway)

    async def during_checkout() -> tuple[float, float]:
        before = pool_in_use("gateway")
        async with gateway._connection():
            held = pool_in_use("gateway")
        await platform.aclose()
        return before, held

    before, held = asyncio.run(during_checkout())
    assert held == before + 1
    assert pool_in_use("gateway") == before


def test_the_pool_gauge_forgets_a_worker_killed_with_sigkill(tmp_path: Path) -> None:
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    holding = "from zentail.observability import metrics; metrics.ORM_POOL_IN_USE.inc({n})"
    wait = "; print('ready', flush=True); import sys; sys.stdin.read()"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", holding.format(n=n) + wait],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (3, 2)
    ]
    killed, alive = workers
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline() == "ready\n"
        killed.kill()
        killed.wait(timeout=10)
        scrape = "import sys; from zentail.observability import metrics; "
        scrape += "sys.stdout.write(metrics.exposition().decode())"
        exposition = subprocess.run(
            [sys.executable, "-c", scrape], env=env, capture_output=True, text=True, check=True
        ).stdout
    finally:
        for worker in workers:
            worker.kill()
            worker.communicate(timeout=10)
    assert sample(exposition, "zentail_db_pool_connections_in_use", pool="orm") == 2
    assert not list(tmp_path.glob(f"gauge_live*_{killed.pid}.db"))
    assert list(tmp_path.glob(f"gauge_live*_{alive.pid}.db"))
